// Xero-wide trouble is not a mass revocation (DESIGN.md 2.1): when definite failures hit a large
// share of the grants within minutes, their alerts wait behind ONE "Xero may be having trouble"
// notice. The held connections keep being checked (their refused refresh tokens offered to Xero
// again, in case Xero honours them once more); once each was checked again after
// XERO_TROUBLE_RECHECK_AFTER, the hold ends: the notice is edited to name the ones that work again
// and the rest are announced as usual (an alert, or a summary when several). src/domain/xero-trouble.ts
// decides; this writes. It runs in the monitor tick, before the announcements, under the monitor's
// lease; the hold itself is rows in the database (the notice, and each incident's `held`), so a
// restart or another replica carries on where it stopped.
import { assessTrouble, isReleaseDue, isTroubleCause, joinsHold, recheckAt, troubleCauses } from '../domain/xero-trouble.ts';
import { isWatched } from '../domain/states.ts';
import { toTroubleNotice, toTroubleOverNotice } from '../domain/views/notice.ts';
import type { NoticeView } from '../domain/views/model.ts';
import type { HandlerDeps, HandlerSettings } from './deps.ts';
import type { IncidentWithConnection, Repos, Notice } from './store.ts';
import { editNotice, postNotice } from './notices.ts';

export const TROUBLE_KIND = 'xero_trouble';

type Pending = Pick<IncidentWithConnection, 'id' | 'cause' | 'heldBy' | 'missingScopes'>;

export type TroubleStep = {
  outcome: 'nothing' | 'gather' | 'open' | 'join' | 'release';
  /**
   * Whether a pending incident's announcement waits for a later tick: while a burst gathers
   * evidence or a hold is open, and for any that opened after this step looked (checks run on while
   * the monitor tick does), so no alert slips out unjudged.
   */
  waits(incident: Pending): boolean;
};

// A permission found missing from the grant's stored scopes is our own reading of our own data, not
// an answer Xero could have got wrong: never held, never counted as a sign of trouble at Xero.
const holdableNow = (i: Pending) => isTroubleCause(i.cause) && i.heldBy === null && !i.missingScopes;
/** `wait`: 'all' holdable incidents wait, 'none' do, or all but those this step `judged`. */
const step = (outcome: TroubleStep['outcome'], wait: 'all' | 'none' | { judged: ReadonlySet<string> }): TroubleStep => ({
  outcome,
  waits: (i) => wait !== 'none' && holdableNow(i) && (wait === 'all' || !wait.judged.has(i.id)),
});

export async function holdForXeroTrouble(deps: HandlerDeps): Promise<TroubleStep> {
  const now = deps.clock.now();
  const rules = deps.settings.trouble;
  const open = await deps.store.notices.findOpen(TROUBLE_KIND);
  if (open) {
    // Every check of a held grant asks Xero again, even when the last one was refused meanwhile.
    await deps.store.grants.retryRefusedHeldBy(open.id);
    if (joinsHold(open.openedAt, now, rules)) return join(deps, open, now);
    return release(deps, open, now);
  }
  const candidates = await holdable(deps);
  if (candidates.length === 0) return step('nothing', { judged: new Set() });
  const since = new Date(now.getTime() - rules.windowMs);
  const [failures, checks] = await Promise.all([deps.store.incidents.openedSince(troubleCauses(), since), deps.store.connections.lastChecksSince(since)]);
  const oldest = candidates.reduce((min, i) => (i.openedAt < min ? i.openedAt : min), candidates[0]!.openedAt);
  const assessment = assessTrouble(failures.filter((f) => !f.fromScopes), checks, oldest, now, rules);
  if (assessment.kind === 'none') return step('nothing', { judged: new Set(candidates.map((i) => i.id)) });
  if (assessment.kind === 'gather') return step('gather', 'all');
  const opened = await deps.store.transaction(async (tx) => {
    // Of two replicas, the one that finds the notice already open leaves it be.
    if (await tx.notices.findOpen(TROUBLE_KIND)) return false;
    const names = candidates.map((i) => i.connection.tenantName).sort();
    const notice = await tx.notices.open(TROUBLE_KIND, names, now);
    await tx.incidents.hold(candidates.map((i) => i.id), notice.id);
    await postNotice(tx, notice, troubleView(notice, now, deps.settings), now);
    await tx.connections.log({
      kind: 'notice',
      operation: 'xero_trouble',
      outcome: 'failure',
      detail: `${assessment.failing} of ${assessment.asked} grant(s) checked since the failures began failed; ${candidates.length} alert(s) held`,
      at: now,
    });
    await logHeld(tx, candidates, now);
    return true;
  });
  if (opened) deps.log.warn({ failing: assessment.failing, asked: assessment.asked, held: candidates.length }, 'many grants failed at once: alerts held behind the Xero trouble notice');
  return step(opened ? 'open' : 'nothing', 'all');
}

/** The notice as it reads now (also for `/xero here`, which re-posts it). */
export function troubleView(notice: Pick<Notice, 'organisations' | 'openedAt'>, now: Date, settings: HandlerSettings): NoticeView {
  return toTroubleNotice(notice.organisations, recheckAt(notice.openedAt, settings.trouble), now);
}

/** Pending alerts the hold may take: a cause Xero trouble can fake, and never held before. */
async function holdable(deps: HandlerDeps): Promise<IncidentWithConnection[]> {
  const pending = await deps.store.incidents.pendingAnnouncement();
  return pending.filter(holdableNow);
}

/** New failures while the hold is open join it: they are most likely the same trouble. */
async function join(deps: HandlerDeps, notice: Notice, now: Date): Promise<TroubleStep> {
  const candidates = await holdable(deps);
  if (candidates.length === 0) return step('nothing', 'all');
  const joined = await deps.store.transaction(async (tx) => {
    const organisations = [...notice.organisations, ...candidates.map((i) => i.connection.tenantName)].sort();
    // Compare-and-set on the update count: of two replicas, one grows it.
    if (!(await tx.notices.grow(notice.id, notice.updates, organisations))) return false;
    await tx.incidents.hold(candidates.map((i) => i.id), notice.id);
    await editNotice(tx, notice, `${notice.updates + 1}`, troubleView({ ...notice, organisations }, now, deps.settings), now);
    await logHeld(tx, candidates, now);
    return true;
  });
  return step(joined ? 'join' : 'nothing', 'all');
}

async function release(deps: HandlerDeps, notice: Notice, now: Date): Promise<TroubleStep> {
  const rules = deps.settings.trouble;
  const held = await deps.store.incidents.heldBy(notice.id);
  const due = isReleaseDue(
    notice.openedAt,
    held.map((i) => ({ resolved: i.status !== 'open', lastCheckAt: i.connection.lastCheckAt, watched: isWatched(i.connection.state) })),
    now,
    rules,
    deps.settings.checkIntervalMs,
  );
  // Past the re-check time new failures no longer join: they are alerted as usual.
  if (!due) return step('nothing', 'none');
  const released = await deps.store.transaction(async (tx) => {
    if (!(await tx.notices.close(notice.id, now))) return false;
    // Read again inside the transaction: a check may have resolved one since.
    const current = await tx.incidents.heldBy(notice.id);
    const recovered = current.filter((i) => i.status !== 'open').map((i) => i.connection.tenantName).sort();
    const broken = current.filter((i) => i.status === 'open');
    await tx.incidents.releaseHeld(notice.id);
    await editNotice(tx, notice, 'released', toTroubleOverNotice(recovered, broken.length), now, { reply: true });
    await tx.connections.log({
      kind: 'notice',
      operation: 'xero_trouble_checked',
      outcome: 'info',
      detail: `${recovered.length} recovered, ${broken.length} still broken and alerted, ${now.getTime() - notice.openedAt.getTime()} ms after the hold began`,
      at: now,
    });
    return true;
  });
  return step(released ? 'release' : 'nothing', 'none');
}

/** Every connection's log says its alert waits, and why. */
async function logHeld(tx: Repos, incidents: readonly IncidentWithConnection[], now: Date): Promise<void> {
  for (const incident of incidents) {
    await tx.connections.log({
      connectionId: incident.connectionId,
      tenantId: incident.connection.tenantId,
      kind: 'notice',
      operation: 'alert',
      outcome: 'info',
      cause: incident.cause,
      detail: 'held: many grants failed at once (likely trouble at Xero); checked again before alerting',
      at: now,
    });
  }
}
