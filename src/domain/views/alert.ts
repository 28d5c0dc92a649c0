// One incident's alert: what broke, since when, who connected it, the steps done so far (who,
// when), what is already in motion (who holds a reconnect link) and the one next step that fits
// the cause (DESIGN.md 2.1). Edited in place as steps happen.
import { isCause, isTransient, type Cause, type DefiniteCause } from '../causes.ts';
import type { AlertButton, AlertView, LinkSent, RepairPath, StepDone } from './model.ts';
import { linkSentSchema } from './model.ts';
import { CAUSE_WORDING, IN_MOTION, MISSING_PERMISSION, NEXT_STEP } from './wording.ts';
import { purposeOf } from '../xero-scopes.ts';
import { connectorOf, decodePerson, type ConnectionFacts, type IncidentFacts } from './facts.ts';
import { plainText, type Phrase } from './phrase.ts';

/** The cause as stored; an unknown text reads as Xero being unavailable (it says nothing definite). */
export function causeOf(text: string | null | undefined): Cause {
  return text && isCause(text) ? text : 'xero_unavailable';
}

/** What the missing scopes are for, in plain words: empty unless the cause is a permission the grant's scopes show missing. */
export function missingPurposes(cause: Cause, missingScopes: string | null | undefined): string[] {
  if (cause !== 'permission_missing' || !missingScopes) return [];
  return [...new Set(missingScopes.split(/\s+/).filter(Boolean).map((scope) => purposeOf(scope) ?? scope))];
}

/** The headline and explanation of a cause, naming the missing permission when the scopes tell it. */
export function causeWording(cause: Cause, missingScopes?: string | null): { headline: string; explanation: string } {
  const purposes = missingPurposes(cause, missingScopes);
  if (purposes.length === 0) return CAUSE_WORDING[cause];
  return { headline: MISSING_PERMISSION.headline(purposes), explanation: MISSING_PERMISSION.explanation(purposes) };
}

/** A definite cause, or undefined: what a reconnect DM may name as its reason. */
export function definiteCauseOf(text: string | null | undefined): DefiniteCause | undefined {
  return text && isCause(text) && !isTransient(text) ? (text as DefiniteCause) : undefined;
}

function step(at: Date | null, by: string | null): StepDone | undefined {
  if (!at) return undefined;
  return { at: at.toISOString(), by: decodePerson(by) ?? { platform: 'slack', userId: 'unknown', name: 'someone' } };
}

/** The reconnect links of an incident, stored as JSON; the newest per person. */
export function decodeLinksSent(text: string | null | undefined): LinkSent[] {
  if (!text) return [];
  try {
    const parsed: unknown = JSON.parse(text);
    const all = Array.isArray(parsed) ? parsed.flatMap((x) => (linkSentSchema.safeParse(x).success ? [linkSentSchema.parse(x)] : [])) : [];
    const newest = new Map<string, LinkSent>();
    for (const link of all) {
      const key = `${link.to.platform}:${link.to.userId}`;
      const before = newest.get(key);
      if (!before || before.at < link.at) newest.set(key, link);
    }
    return [...newest.values()].sort((a, b) => a.at.localeCompare(b.at));
  } catch {
    // Written only by encodeLinksSent; an unreadable list shows nothing in motion rather than failing the alert.
    return [];
  }
}

export function encodeLinksSent(links: readonly LinkSent[]): string {
  return JSON.stringify(links);
}

export function toAlertView(incident: IncidentFacts, connection: ConnectionFacts): AlertView {
  const cause = causeOf(incident.cause);
  const connector = connectorOf(connection);
  const steps: AlertView['steps'] = {};
  const disconnected = step(incident.disconnectedAt, incident.disconnectedBy);
  const confirmed = step(incident.confirmedXeroAt, incident.confirmedXeroBy);
  const requested = step(incident.reconnectRequestedAt, incident.reconnectRequestedBy);
  const reconnected = step(incident.reconnectedAt, incident.reconnectedBy);
  if (disconnected) steps.disconnectedHere = disconnected;
  if (confirmed) steps.confirmedInXero = confirmed;
  if (requested) steps.reconnectRequested = requested;
  if (reconnected) steps.reconnected = reconnected;
  const resolved = incident.status === 'resolved' && incident.resolvedAt;
  const path = repairPath(cause, incident, steps, Boolean(resolved));
  const links = resolved ? [] : decodeLinksSent(incident.linksSent);
  const next = nextStepOf(path, cause, connection.tenantName, connector, steps, incident.brokenSince, missingPurposes(cause, incident.missingScopes));
  const wording = causeWording(cause, incident.missingScopes);
  const view: AlertView = {
    type: 'alert',
    incidentId: incident.id,
    connectionId: connection.id,
    tenantName: connection.tenantName,
    cause,
    headline: wording.headline,
    explanation: wording.explanation,
    nextStep: plainText(next),
    next,
    path,
    inMotion: links.map((l) => IN_MOTION.linkHeld(l.to, l.at, l.expiresAt)),
    linksSent: links,
    since: incident.brokenSince.toISOString(),
    connectedBy: connector,
    steps,
    buttons: resolved ? [] : buttonsOf(path, steps),
  };
  addLifecycle(view, incident, Boolean(resolved));
  if (connection.lastGoodCheckAt) view.lastGoodCheck = connection.lastGoodCheckAt.toISOString();
  if (incident.xeroError) view.xeroError = incident.xeroError;
  if (incident.httpStatus !== null) view.httpStatus = incident.httpStatus;
  if (resolved && incident.resolvedAt) {
    view.resolved = {
      at: incident.resolvedAt.toISOString(),
      recoveredAfterMs: incident.resolvedAt.getTime() - incident.brokenSince.getTime(),
      ...(reconnected ? { by: reconnected.by } : {}),
    };
  }
  return view;
}

/**
 * The way out (DESIGN.md 2.1). One reconnect fixes a removed app, a revoked authorisation, lost
 * access or a missing permission. The full reset (Disconnect, remove the app in Xero, Reconnect)
 * is for the unclear case: a cause that says nothing definite, a reconnect that did not hold, or
 * a reset someone has already begun.
 */
export function repairPath(cause: Cause, incident: Pick<IncidentFacts, 'resetAdvised'>, steps: AlertView['steps'], resolved: boolean): RepairPath {
  if (resolved) return 'resolved';
  if (cause === 'app_credentials_invalid') return 'operator';
  // Xero still holds the connection: a reconnect stores fresh tokens under the current key.
  if (cause === 'encryption_key_changed') return 'reconnect';
  if (isTransient(cause) || incident.resetAdvised || steps.disconnectedHere || steps.confirmedInXero) return 'full_reset';
  return 'reconnect';
}

function nextStepOf(path: RepairPath, cause: Cause, tenantName: string, connector: AlertView['connectedBy'], steps: AlertView['steps'], brokenSince: Date, missing: readonly string[]): Phrase {
  switch (path) {
    case 'resolved':
      return NEXT_STEP.resolved(brokenSince.toISOString());
    case 'operator':
      return NEXT_STEP.operatorFix;
    case 'reconnect':
      if (cause === 'encryption_key_changed') return NEXT_STEP.keyChanged(connector);
      if (cause === 'permission_missing') return NEXT_STEP.byCause.permission_missing(connector, tenantName, missing);
      return NEXT_STEP.byCause[cause as keyof typeof NEXT_STEP.byCause](connector, tenantName);
    case 'full_reset':
      if (steps.confirmedInXero) return NEXT_STEP.afterConfirm(connector);
      if (steps.disconnectedHere) return NEXT_STEP.afterDisconnect(tenantName);
      return isTransient(cause) ? NEXT_STEP.start(tenantName) : NEXT_STEP.afterFailedReconnect(tenantName);
  }
}

function buttonsOf(path: RepairPath, steps: AlertView['steps']): AlertButton[] {
  if (path === 'operator' || path === 'resolved') return [];
  if (path === 'reconnect') return ['reconnect', 'sendLink'];
  const buttons: AlertButton[] = [];
  if (!steps.disconnectedHere) buttons.push('disconnect');
  buttons.push('reconnect');
  if (!steps.confirmedInXero) buttons.push('confirmXero');
  buttons.push('sendLink');
  return buttons;
}

/** Owner, snooze and note: lines of their own and buttons after the repair buttons. */
function addLifecycle(view: AlertView, incident: IncidentFacts, resolved: boolean): void {
  const owner = step(incident.ownedAt ?? null, incident.ownedBy ?? null);
  if (owner) view.owner = owner;
  if (!resolved && incident.snoozedUntil) {
    view.snoozed = { until: incident.snoozedUntil.toISOString(), by: decodePerson(incident.snoozedBy ?? null) ?? UNKNOWN };
  }
  if (incident.resolutionNote && incident.resolutionNoteAt) {
    view.note = { text: incident.resolutionNote, by: decodePerson(incident.resolutionNoteBy ?? null) ?? UNKNOWN, at: incident.resolutionNoteAt.toISOString() };
  }
  view.lifecycleButtons = resolved ? (view.note ? [] : ['note']) : ['own', 'snooze'];
}

const UNKNOWN = { platform: 'slack', userId: 'unknown', name: 'someone' } as const;
