// Cards that list many things: the summary of a mass break, `status` and `errors`. Each keeps its
// rows under a byte budget (Teams refuses large messages) and says how many it left out.
import { formatDuration } from '../../../domain/duration.ts';
import type { ConnectionState } from '../../../domain/states.ts';
import type { ErrorsView, StatusRow, StatusView, SummaryView } from '../../../domain/views/model.ts';
import { ROWS_BUDGET_BYTES, card, escapeMarkdown, fitRows, formatTime, header, localTime, personName, text, type AdaptiveCard, type Container, type Element } from './card.ts';
import { LIFECYCLE } from '../../../domain/views/wording.ts';

/**
 * A summary holds up to 100 organisations (src/domain/views/summary.ts), every one named: one short
 * line per organisation, each cause explained once above its first row, resolved ones last.
 */
export function summaryCard(view: SummaryView, budgetBytes = ROWS_BUDGET_BYTES): AdaptiveCard {
  const allResolved = view.rows.length > 0 && view.rows.every((r) => r.resolved);
  const ordered = [...view.rows.filter((r) => !r.resolved).sort((a, b) => a.cause.localeCompare(b.cause)), ...view.rows.filter((r) => r.resolved)];
  const rows = fitRows(
    ordered.map((row, i) => ({ row, heading: headingBefore(ordered, i) })),
    ({ row, heading }): Element => {
      const line = text(`${row.resolved ? '✅' : '🔴'} **${escapeMarkdown(row.tenantName)}**${row.resolved ? ' (restored)' : ''}`, { spacing: 'None' });
      if (!heading) return line;
      return { type: 'Container', separator: true, items: [text(heading, { isSubtle: true, weight: 'Bolder' }), line] };
    },
    budgetBytes,
  );
  const more = view.more + rows.omitted;
  const body: Element[] = [header(view.title, allResolved ? 'good' : 'danger'), text(view.text), ...rows.elements];
  if (more > 0) body.push(text(`…and ${more} more.`, { isSubtle: true }));
  return card(body, [], `${view.title}. ${view.text}`);
}

/** The explanation of a cause above its first row, and "Restored" above the first resolved one. */
function headingBefore(rows: readonly SummaryView['rows'][number][], index: number): string | undefined {
  const row = rows[index]!;
  const previous = rows[index - 1];
  if (row.resolved) return previous?.resolved ? undefined : 'Restored';
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

export function statusCard(view: StatusView, budgetBytes = ROWS_BUDGET_BYTES): AdaptiveCard {
  const anyBroken = (view.counts.broken ?? 0) > 0;
  const anyTrouble = anyBroken || (view.counts.degraded ?? 0) > 0 || (view.counts.reconnecting ?? 0) > 0;
  const tone = anyBroken ? 'danger' : anyTrouble ? 'warning' : view.rows.length === 0 ? 'info' : 'good';
  const rows = fitRows(view.rows, statusRow, budgetBytes);
  const body: Element[] = [header('Xero connections', tone, view.summary)];
  for (const note of view.operatorNotes ?? []) body.push(text(`⚠️ ${escapeMarkdown(note)}`, { color: 'Attention' }));
  if (view.rows.length === 0) body.push(text('No organisation is connected yet. Send **connect** to the bot to connect one.'));
  body.push(...rows.elements);
  if (rows.omitted > 0) body.push(text(`…and ${rows.omitted} more (the problems are listed first).`, { isSubtle: true }));
  return card(body, [], view.summary);
}

function statusRow(row: StatusRow): Container {
  const details = [
    row.lastGoodCheck ? `last good check ${formatTime(row.lastGoodCheck)}` : 'no good check yet',
    `connected by ${escapeMarkdown(personName(row.connectedBy) ?? 'unknown')}`,
    row.tokenAgeMs !== undefined ? `token ${formatDuration(row.tokenAgeMs)} old` : undefined,
    row.owner ? LIFECYCLE.statusOwner(escapeMarkdown(personName(row.owner.by) ?? 'someone')) : undefined,
    row.snoozedUntil ? LIFECYCLE.statusSnoozed(localTime(row.snoozedUntil)) : undefined,
  ].filter(Boolean);
  return {
    type: 'Container',
    separator: true,
    items: [
      text(`${STATE_ICON[row.state]} **${escapeMarkdown(row.tenantName)}**: ${row.state}${row.cause ? ` (${row.cause.replaceAll('_', ' ')})` : ''} since ${formatTime(row.since)}`),
      text(details.join(' · '), { isSubtle: true, spacing: 'None', size: 'Small' }),
    ],
  };
}

export function errorsCard(view: ErrorsView, budgetBytes = ROWS_BUDGET_BYTES): AdaptiveCard {
  const rows = fitRows(
    view.rows,
    (row): Element => ({
      type: 'Container',
      separator: true,
      items: [
        text(`**${escapeMarkdown(row.tenantName)}** · ${escapeMarkdown(row.operation)}${row.httpStatus !== undefined ? ` · HTTP ${row.httpStatus}` : ''}`),
        text(
          [
            formatTime(row.at),
            row.xeroError ? escapeMarkdown(row.xeroError) : undefined,
            row.cause ? `cause: ${row.cause}` : undefined,
            row.note ? `📝 ${LIFECYCLE.noteLine(escapeMarkdown(personName(row.by) ?? 'someone'), escapeMarkdown(row.note))}` : undefined,
          ]
            .filter(Boolean)
            .join(' · '),
          { isSubtle: true, spacing: 'None', size: 'Small' },
        ),
      ],
    }),
    budgetBytes,
  );
  const body: Element[] = [header(view.title, view.rows.length > 0 ? 'warning' : 'good')];
  if (view.rows.length === 0) body.push(text('No errors recorded.'));
  body.push(...rows.elements);
  if (rows.omitted > 0) body.push(text(`…and ${rows.omitted} more.`, { isSubtle: true }));
  return card(body, [], view.title);
}
