// One incident's alert: what broke, since when, who connected it, the steps done so far (who,
// when) and what to do next. Edited in place as steps happen.
import { isCause, type Cause } from '../causes.ts';
import type { AlertView, StepDone } from './model.ts';
import { CAUSE_WORDING, NEXT_STEP, who } from './wording.ts';
import { connectorOf, decodePerson, type ConnectionFacts, type IncidentFacts } from './facts.ts';

export function causeOf(text: string | null | undefined): Cause {
  return text && isCause(text) ? text : 'xero_unavailable';
}

function step(at: Date | null, by: string | null): StepDone | undefined {
  if (!at) return undefined;
  return { at: at.toISOString(), by: decodePerson(by) ?? { platform: 'slack', userId: 'unknown', name: 'someone' } };
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
  const view: AlertView = {
    type: 'alert',
    incidentId: incident.id,
    connectionId: connection.id,
    tenantName: connection.tenantName,
    cause,
    headline: CAUSE_WORDING[cause].headline,
    explanation: CAUSE_WORDING[cause].explanation,
    nextStep: nextStepOf(cause, connection.tenantName, who(connector), steps, resolved ? incident.brokenSince : undefined),
    since: incident.brokenSince.toISOString(),
    connectedBy: connector,
    steps,
    buttons: resolved ? [] : buttonsOf(cause, steps),
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

function nextStepOf(cause: Cause, tenantName: string, connector: string, steps: AlertView['steps'], syncFrom: Date | undefined): string {
  if (syncFrom) return NEXT_STEP.resolved(syncFrom.toISOString());
  if (cause === 'app_credentials_invalid') return NEXT_STEP.operatorFix;
  if (steps.reconnectRequested && !steps.reconnected) return NEXT_STEP.waitingForReconnect(connector, steps.reconnectRequested.at);
  if (steps.confirmedInXero) return NEXT_STEP.afterConfirm(connector);
  if (steps.disconnectedHere) return NEXT_STEP.afterDisconnect(tenantName);
  // Access and permission problems are fixed by a reconnect as the right user; the full
  // disconnect ritual is for revoked or removed connections.
  if (cause === 'access_lost' || cause === 'permission_missing') return NEXT_STEP.reconnectOnly(connector);
  if (cause === 'encryption_key_changed') return NEXT_STEP.keyChanged(connector);
  return NEXT_STEP.start(tenantName);
}

function buttonsOf(cause: Cause, steps: AlertView['steps']): AlertView['buttons'] {
  if (cause === 'app_credentials_invalid') return [];
  // Xero still holds the connection: a reconnect stores fresh tokens under the current key.
  if (cause === 'encryption_key_changed') return ['reconnect'];
  const buttons: AlertView['buttons'] = [];
  if (!steps.disconnectedHere) buttons.push('disconnect');
  buttons.push('reconnect');
  if (!steps.confirmedInXero) buttons.push('confirmXero');
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
