// `/xero status` as a readable table for 1 to 500 connections: the summary first, then one line
// per connection in the order the handler gives (broken first), packed into sections and split
// into pages that each stay inside Block Kit's limits. The App Home tab shows the same rows.
import { CAUSE_WORDING, LISTS, STATUS_WORDS } from '../../domain/views/wording.ts';
import type { ConnectionState } from '../../domain/states.ts';
import type { StatusRow, StatusView } from '../../domain/views/model.ts';
import { LIFECYCLE } from '../../domain/views/wording.ts';
import { clip, md, mention, mrkdwn, plain, shortUtc, slackDate, packLines, type Block, type HomeView, type SlackMessage } from './blocks.ts';
import { LIMITS } from './limits.ts';

export const STATE_ICON: Record<ConnectionState, string> = {
  broken: '🔴',
  degraded: '🟡',
  reconnecting: '🔄',
  paused: '⏸️',
  disconnected: '⚪',
  connected: '🟢',
};

/** Rows per section stay under the 3,000-char section limit with room to spare. */
const SECTION_CHARS = 2_900;
/** Block text per page, well under the budget in limits.ts (room for header, summary, footer). */
const PAGE_CHARS = 10_000;
/** response_url takes at most five posts per command (reference/chat-facts.md 1.6). */
export const MAX_STATUS_PAGES = 5;

/** full: every column; medium: healthy rows skip their "connected since"; compact: name and last good check. */
type Detail = 'full' | 'medium' | 'compact';

export function statusLine(row: StatusRow, detail: Detail = 'full'): string {
  const name = md(row.tenantName.replace(/\s+/g, ' '), detail === 'compact' ? 32 : 48);
  const parts = [`${STATE_ICON[row.state]} *${name}*`];
  if (detail === 'full' || row.state !== 'connected') parts.push(`${row.state} ${shortUtc(row.since)}`);
  parts.push(row.lastGoodCheck ? `good ${shortUtc(row.lastGoodCheck)}` : 'never good');
  if (detail !== 'compact') {
    parts.push(mention(row.connectedBy));
    if (row.tokenAgeMs !== undefined) parts.push(STATUS_WORDS.tokenRefreshed(row.tokenAgeMs));
  }
  if (row.cause && row.state !== 'connected') parts.push(md(row.causeHeadline ?? CAUSE_WORDING[row.cause].headline, 120));
  if (row.owner) parts.push(LIFECYCLE.statusOwner(mention(row.owner.by)));
  if (row.snoozedUntil) parts.push(LIFECYCLE.statusSnoozed(slackDate(row.snoozedUntil)));
  return parts.join(' · ');
}

/**
 * The status table as chat messages. Every page fits Block Kit's limits; page 1 starts with the
 * summary. With very many connections the healthy rows shorten so all rows fit in five pages;
 * if even that is not enough, the last page says how many were left out.
 */
export function renderStatusPages(view: StatusView, maxPages = MAX_STATUS_PAGES): SlackMessage[] {
  const pages = statusPages(view, maxPages);
  const notes = operatorNotes(view);
  // Operator trouble goes right under the summary of the first page, where an admin looks first.
  if (notes) pages[0]!.blocks.splice(Math.min(2, pages[0]!.blocks.length), 0, notes);
  return pages;
}

function operatorNotes(view: StatusView): Block | undefined {
  if (!view.operatorNotes?.length) return undefined;
  return { type: 'section', text: mrkdwn(clip(view.operatorNotes.map((note) => `⚠️ ${md(note)}`).join('\n'), SECTION_CHARS)) };
}

function statusPages(view: StatusView, maxPages: number): SlackMessage[] {
  if (view.rows.length === 0) {
    return [{ text: view.summary, blocks: [header(), { type: 'section', text: mrkdwn(`${md(view.summary)}\n${md(LISTS.noConnections)}`) }] }];
  }
  let pages = paginate(view, 'full');
  if (pages.length > maxPages) pages = paginate(view, 'medium');
  if (pages.length > maxPages) pages = paginate(view, 'compact');
  if (pages.length > maxPages) {
    const kept = pages.slice(0, maxPages);
    const shown = kept.reduce((n, p) => n + p.rows, 0);
    const last = kept[kept.length - 1]!;
    last.blocks.push({ type: 'context', elements: [mrkdwn(`…and ${view.rows.length - shown} more. The App Home tab of Xero Guard has the full table.`)] });
    pages = kept;
  }
  return pages.map((page, i) => {
    const blocks = [...page.blocks];
    if (pages.length > 1) blocks.push({ type: 'context', elements: [mrkdwn(`Page ${i + 1} of ${pages.length} · times in UTC`)] });
    else blocks.push({ type: 'context', elements: [mrkdwn('Times in UTC')] });
    return { text: i === 0 ? view.summary : `${view.summary} (page ${i + 1} of ${pages.length})`, blocks };
  });
}

type Page = { blocks: Block[]; rows: number; chars: number };

function paginate(view: StatusView, detail: Detail): Page[] {
  const intro: Block[] = [header(), { type: 'section', text: mrkdwn(`*${md(view.summary, 2_000)}*`) }];
  const pages: Page[] = [];
  let page: Page = { blocks: intro, rows: 0, chars: 40 + view.summary.length };
  // Rows are grouped in sections; a section never splits a row, a page never splits a section.
  const groups = groupRows(view.rows, detail);
  for (const group of groups) {
    const full = page.blocks.length + 2 > LIMITS.blocksPerMessage || page.chars + group.text.length > PAGE_CHARS;
    if (full && page.rows > 0) {
      pages.push(page);
      page = { blocks: [], rows: 0, chars: 0 };
    }
    page.blocks.push({ type: 'section', text: mrkdwn(group.text) });
    page.rows += group.rows;
    page.chars += group.text.length;
  }
  pages.push(page);
  return pages;
}

function groupRows(rows: readonly StatusRow[], detail: Detail): { text: string; rows: number }[] {
  const lines = rows.map((r) => statusLine(r, detail));
  const groups: { text: string; rows: number }[] = [];
  let text = '';
  let count = 0;
  for (const line of lines) {
    if (text && text.length + 1 + line.length > SECTION_CHARS) {
      groups.push({ text, rows: count });
      text = '';
      count = 0;
    }
    text = text ? `${text}\n${line}` : clip(line, SECTION_CHARS);
    count += 1;
  }
  if (text) groups.push({ text, rows: count });
  return groups;
}

function header(): Block {
  return { type: 'header', text: plain(LISTS.statusTitle, 150) };
}

/** The App Home tab: the whole table (up to 100 blocks), refreshed when opened and on changes. */
export function renderHome(view: StatusView, updatedAt: Date): HomeView {
  const blocks: Block[] = [header(), { type: 'section', text: mrkdwn(`*${md(view.summary, 2_000)}*`) }];
  if (view.rows.length === 0) blocks.push({ type: 'section', text: mrkdwn(md(LISTS.noConnections)) });
  const room = LIMITS.blocksPerHome - blocks.length - 3;
  let chunks: string[] = [];
  for (const detail of ['full', 'medium', 'compact'] as const) {
    chunks = packLines(view.rows.map((r) => statusLine(r, detail)), SECTION_CHARS);
    if (chunks.length <= room) break;
  }
  const shown = chunks.slice(0, room);
  for (const chunk of shown) blocks.push({ type: 'section', text: mrkdwn(chunk) });
  const shownRows = shown.reduce((n, c) => n + c.split('\n').length, 0);
  if (shownRows < view.rows.length) blocks.push({ type: 'context', elements: [mrkdwn(`…and ${view.rows.length - shownRows} more.`)] });
  blocks.push({ type: 'divider' });
  blocks.push({
    type: 'context',
    elements: [mrkdwn(`Updated ${shortUtc(updatedAt.toISOString())} UTC · \`/xero help\` lists the commands · times in UTC`)],
  });
  return { type: 'home', blocks };
}
