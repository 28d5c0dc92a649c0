// Cards that list many things: the summary of a mass break, `status` and `errors`. Each keeps its
// rows under a byte budget (Teams refuses large messages) and says how many it left out.
import { ACTION_IDS } from '../../../domain/actions.ts';
import { CAUSE_WORDING, LABELS, LISTS, STATUS_WORDS, SUMMARY } from '../../../domain/views/wording.ts';
import type { ConnectionState } from '../../../domain/states.ts';
import type { ErrorsView, StatusRow, StatusView, SummaryView } from '../../../domain/views/model.ts';
import { SUMMARY_ACTION_ROWS } from '../../../domain/views/summary.ts';
import { ROWS_BUDGET_BYTES, card, cardBytes, escapeMarkdown, fitRows, formatTime, header, localTime, personName, text, type AdaptiveCard, type Container, type Element } from './card.ts';
import { LIFECYCLE } from '../../../domain/views/wording.ts';

/**
 * A summary holds up to 100 organisations (src/domain/views/summary.ts), every one named. The first
 * broken ones (up to SUMMARY_ACTION_ROWS, within a byte budget) each get a Reconnect button, so
 * people act per row; the rest are short lines, each cause explained once above its first row, and
 * the card says how to act on those. Resolved ones come last.
 */
export function summaryCard(view: SummaryView, budgetBytes = ROWS_BUDGET_BYTES): AdaptiveCard {
  const allResolved = view.rows.length > 0 && view.rows.every((r) => r.resolved);
  const broken = view.rows.filter((r) => !r.resolved).sort((a, b) => a.cause.localeCompare(b.cause));
  const candidates = broken.slice(0, SUMMARY_ACTION_ROWS);
  // Rows with a button take at most 40% of the budget, so the short lines of the rest still fit.
  const actionRows = fitRows(
    candidates.map((row, i) => ({ row, heading: i === 0 || candidates[i - 1]!.cause !== row.cause ? row.explanation : undefined })),
    actionRow,
    Math.floor(budgetBytes * 0.4),
  );
  const acted = new Set(candidates.slice(0, actionRows.elements.length).map((r) => r.incidentId));
  const restBroken = broken.length - acted.size;
  const rest = view.rows.filter((r) => !acted.has(r.incidentId));
  const ordered = [...rest.filter((r) => !r.resolved).sort((a, b) => a.cause.localeCompare(b.cause)), ...rest.filter((r) => r.resolved)];
  const used = actionRows.elements.reduce((n, e) => n + cardBytes(e) + 1, 0);
  const rows = fitRows(
    // The cause the rows with buttons ended on is already explained above them.
    ordered.map((row, i) => ({ row, heading: i === 0 && !row.resolved && row.cause === candidates[acted.size - 1]?.cause ? undefined : headingBefore(ordered, i) })),
    ({ row, heading }): Element => {
      const line = text(`${row.resolved ? '✅' : '🔴'} **${escapeMarkdown(row.tenantName)}**${row.resolved ? ` (${SUMMARY.restored})` : ''}`, { spacing: 'None' });
      if (!heading) return line;
      return { type: 'Container', separator: true, items: [text(escapeMarkdown(heading), { isSubtle: true, weight: 'Bolder' }), line] };
    },
    Math.max(0, budgetBytes - used),
  );
  const more = view.more + rows.omitted;
  const body: Element[] = [header(view.title, allResolved ? 'good' : 'danger'), text(view.text), ...actionRows.elements];
  if (restBroken > 0) body.push(text(SUMMARY.rest(restBroken), { isSubtle: true, spacing: 'Medium' }));
  body.push(...rows.elements);
  if (more > 0) body.push(text(SUMMARY.more(more), { isSubtle: true }));
  return card(body, [], `${view.title}. ${view.text}`);
}

/** One broken organisation with its own Reconnect button (the alert's Reconnect, same handler). */
function actionRow({ row, heading }: { row: SummaryView['rows'][number]; heading: string | undefined }): Element {
  const line: Element = {
    type: 'ColumnSet',
    columns: [
      { type: 'Column', width: 'stretch', verticalContentAlignment: 'Center', items: [text(`🔴 ${escapeMarkdown(row.tenantName)}`)] },
      { type: 'Column', width: 'auto', items: [{ type: 'ActionSet', actions: [{ type: 'Action.Execute', title: LABELS.buttons.reconnect, verb: ACTION_IDS.reconnect, data: { incidentId: row.incidentId, connectionId: row.connectionId } }] }] },
    ],
  };
  if (!heading) return line;
  return { type: 'Container', separator: true, items: [text(escapeMarkdown(heading), { isSubtle: true, weight: 'Bolder' }), line] };
}

/** The explanation of a cause above its first row, and "Working again" above the first resolved one. */
function headingBefore(rows: readonly SummaryView['rows'][number][], index: number): string | undefined {
  const row = rows[index]!;
  const previous = rows[index - 1];
  if (row.resolved) return previous?.resolved ? undefined : SUMMARY.working;
  return previous && !previous.resolved && previous.cause === row.cause ? undefined : row.explanation;
}

const STATE_ICON: Record<ConnectionState, string> = {
  broken: '🔴',
  degraded: '🟠',
  reconnecting: '🔁',
  paused: '⏸️',
  disconnected: '⚪',
  connected: '🟢',
};

// Lists answer whoever asked; naming people there as mentions would ping each of them at every
// `status` or `errors`, so lists name people by display name only.
export function statusCard(view: StatusView, budgetBytes = ROWS_BUDGET_BYTES): AdaptiveCard {
  const anyBroken = (view.counts.broken ?? 0) > 0;
  const anyTrouble = anyBroken || (view.counts.degraded ?? 0) > 0 || (view.counts.reconnecting ?? 0) > 0;
  const tone = anyBroken ? 'danger' : anyTrouble ? 'warning' : view.rows.length === 0 ? 'info' : 'good';
  const rows = fitRows(view.rows, statusRow, budgetBytes);
  const body: Element[] = [header(LISTS.statusTitle, tone, view.summary)];
  for (const note of view.operatorNotes ?? []) body.push(text(`⚠️ ${escapeMarkdown(note)}`, { color: 'Attention' }));
  if (view.rows.length === 0) body.push(text(LISTS.noConnections));
  body.push(...rows.elements);
  if (rows.omitted > 0) body.push(text(`…and ${rows.omitted} more (the problems are listed first).`, { isSubtle: true }));
  return card(body, [], view.summary);
}

function statusRow(row: StatusRow): Container {
  const details = [
    row.lastGoodCheck ? `${STATUS_WORDS.lastGood} ${formatTime(row.lastGoodCheck)}` : STATUS_WORDS.neverGood,
    `${STATUS_WORDS.connectedBy} ${escapeMarkdown(personName(row.connectedBy) ?? 'unknown')}`,
    row.tokenAgeMs !== undefined ? STATUS_WORDS.tokenRefreshed(row.tokenAgeMs) : undefined,
    row.owner ? LIFECYCLE.statusOwner(escapeMarkdown(personName(row.owner.by) ?? 'someone')) : undefined,
    row.snoozedUntil ? LIFECYCLE.statusSnoozed(localTime(row.snoozedUntil)) : undefined,
  ].filter(Boolean);
  return {
    type: 'Container',
    separator: true,
    items: [
      text(`${STATE_ICON[row.state]} **${escapeMarkdown(row.tenantName)}**: ${row.state}${row.cause ? ` (${escapeMarkdown(row.causeHeadline ?? CAUSE_WORDING[row.cause].headline)})` : ''} since ${formatTime(row.since)}`),
      text(details.join(' · '), { isSubtle: true, spacing: 'None', size: 'Small' }),
    ],
  };
}

export function errorsCard(view: ErrorsView, budgetBytes = ROWS_BUDGET_BYTES): AdaptiveCard {
  // The reason leads; the raw detail (operation, Xero's status and words) follows, subdued.
  const rows = fitRows(
    view.rows,
    (row): Element => {
      const times = row.from && row.count > 1 ? `${formatTime(row.from)}–${formatTime(row.at)}` : formatTime(row.at);
      const items: Element[] = [
        text(`${times} · **${escapeMarkdown(row.tenantName)}** · ${escapeMarkdown(row.reason)}${row.count > 1 ? ` ${LABELS.errorsFolded(row.count)}` : ''}`),
      ];
      if (row.note) items.push(text(`📝 ${LIFECYCLE.noteLine(escapeMarkdown(personName(row.by) ?? 'someone'), escapeMarkdown(row.note))}`, { isSubtle: true, spacing: 'None', size: 'Small' }));
      if (row.detail) items.push(text(`${LABELS.reasonDetail}: ${escapeMarkdown(row.detail)}`, { isSubtle: true, spacing: 'None', size: 'Small' }));
      return { type: 'Container', separator: true, items };
    },
    budgetBytes,
  );
  const body: Element[] = [header(view.title, view.rows.length > 0 ? 'warning' : 'good')];
  if (view.rows.length === 0) body.push(text(LISTS.noErrors));
  body.push(...rows.elements);
  if (rows.omitted > 0) body.push(text(LABELS.moreRows(rows.omitted), { isSubtle: true }));
  return card(body, [], view.title);
}
