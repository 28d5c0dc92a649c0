// From a platform-neutral view (src/domain/views/model.ts) to Slack messages. The wording comes
// with the view; this file only lays it out. Most views are one message; the status table may be
// several pages.
import { LIFECYCLE } from '../../domain/views/wording.ts';
import type { ErrorsView, LinkView, NoticeView, SummaryView, TextView, View } from '../../domain/views/model.ts';
import { COLORS, TONE_EMOJI, clip, md, mdPhrase, mention, mrkdwn, packLines, plain, shortUtc, slackDate, type Block, type HomeView, type SlackMessage } from './blocks.ts';
import { LIMITS } from './limits.ts';
import { alertButton, renderAlert } from './render-alert.ts';
import { LABELS, LISTS, SUMMARY } from '../../domain/views/wording.ts';
import { plainText } from '../../domain/views/phrase.ts';
import { USE_CHANNEL_ACTION } from '../../domain/actions.ts';
import { SUMMARY_ACTION_ROWS } from '../../domain/views/summary.ts';
import { renderHome, renderStatusPages, STATE_ICON } from './render-status.ts';

/** Link buttons still send a block_actions payload; the routes ack it and do nothing else. */
export const LINK_ACTION_ID = 'xg_open_link';

const SECTION_CHARS = 2_900;

export function renderView(view: View): SlackMessage[] {
  switch (view.type) {
    case 'alert':
      return [renderAlert(view)];
    case 'status':
      return renderStatusPages(view);
    case 'summary':
      return [renderSummary(view)];
    case 'notice':
      return [renderNotice(view)];
    case 'errors':
      return [renderErrors(view)];
    case 'link':
      return [renderLink(view)];
    case 'text':
      return [renderText(view)];
  }
}

/** The App Home tab shows the status table; any other view is shown as it would be in a message. */
export function renderHomeView(view: View, now: Date): HomeView {
  if (view.type === 'status') return renderHome(view, now);
  const [first] = renderView(view);
  return { type: 'home', blocks: (first?.blocks ?? []).slice(0, LIMITS.blocksPerHome) };
}

/**
 * A summary holds up to 100 organisations (src/domain/views/summary.ts), every one named. The first
 * broken ones (up to SUMMARY_ACTION_ROWS) are a section each with a Reconnect button, so people act
 * per row; the rest are compact lines (each cause explained once, several lines per section), and
 * the message says where to act on those (`/xero reconnect`, `/xero errors`). Resolved ones come
 * last, struck through.
 */
function renderSummary(view: SummaryView): SlackMessage {
  const blocks: Block[] = [
    { type: 'header', text: plain(`${TONE_EMOJI.danger} ${view.title}`, 150) },
    { type: 'section', text: mrkdwn(md(view.text, 2_900)) },
  ];
  // Grouped by cause, each cause explained once above its first row, as in the compact list.
  const byCause = view.rows.filter((r) => !r.resolved).sort((a, b) => a.cause.localeCompare(b.cause));
  const actionable = byCause.slice(0, SUMMARY_ACTION_ROWS);
  actionable.forEach((row, i) => {
    const heading = i === 0 || actionable[i - 1]!.cause !== row.cause ? `*${md(row.explanation, 300)}*\n` : '';
    blocks.push({ type: 'section', text: mrkdwn(`${heading}${STATE_ICON.broken} ${md(row.tenantName, 150)}`), accessory: alertButton('reconnect', row) });
  });
  const acted = new Set(actionable.map((r) => r.incidentId));
  const rest = view.rows.filter((r) => !r.resolved).length - actionable.length;
  if (rest > 0) blocks.push({ type: 'context', elements: [mrkdwn(md(SUMMARY.rest(rest)))] });
  view = { ...view, rows: view.rows.filter((r) => !acted.has(r.incidentId)) };
  const room = LIMITS.blocksPerMessage - blocks.length - 1;
  // Block text left for rows: the message budget less the frame and the closing context lines.
  const budget = LIMITS.blockTextPerMessage - 200;
  let chars = blocks.reduce((n, b) => n + (b.type === 'section' ? (b.text?.text.length ?? 0) + (b.accessory?.text.text.length ?? 0) : b.type === 'header' ? b.text.text.length : 0), 0);
  const sectionsBefore = blocks.length;
  let shown = 0;
  let section = '';
  let inSection = 0;
  const flush = (): boolean => {
    if (!section) return true;
    if (blocks.length - sectionsBefore >= room || chars + section.length > budget) return false;
    blocks.push({ type: 'section', text: mrkdwn(section) });
    chars += section.length;
    shown += inSection;
    section = '';
    inSection = 0;
    return true;
  };
  for (const entry of summaryEntries(view, actionable[actionable.length - 1]?.cause)) {
    if (section && section.length + 1 + entry.length > SECTION_CHARS && !flush()) break;
    section = section ? `${section}\n${entry}` : entry;
    inSection += 1;
  }
  flush();
  const more = view.more + (view.rows.length - shown);
  if (more > 0) blocks.push({ type: 'context', elements: [mrkdwn(md(SUMMARY.more(more)))] });
  const total = view.rows.length + acted.size + view.more;
  return { text: md(`${view.title}: ${view.text}`, 3_000), blocks, attachments: [{ color: COLORS.danger, blocks: [{ type: 'context', elements: [mrkdwn(`${total} organisations`)] }] }] };
}

/** One entry per row; the first row of each cause (and of the resolved ones) carries its heading. */
function summaryEntries(view: SummaryView, continuing?: string): string[] {
  const broken = view.rows.filter((r) => !r.resolved);
  const resolved = view.rows.filter((r) => r.resolved);
  const causes = [...new Map(broken.map((r) => [r.cause, r.explanation])).entries()];
  const entries: string[] = [];
  for (const [cause, explanation] of causes) {
    broken
      .filter((r) => r.cause === cause)
      .forEach((r, i) => {
        const line = `${STATE_ICON.broken} ${md(r.tenantName, 100)}`;
        // The cause the rows with buttons ended on is already explained just above.
        entries.push(i === 0 && cause !== continuing ? `*${md(explanation, 300)}*\n${line}` : line);
      });
  }
  resolved.forEach((r, i) => {
    const line = `🟢 ~${md(r.tenantName, 100)}~`;
    entries.push(i === 0 ? `*${SUMMARY.working}*\n${line}` : line);
  });
  return entries;
}

function renderNotice(view: NoticeView): SlackMessage {
  const blocks: Block[] = [
    { type: 'header', text: plain(`${TONE_EMOJI[view.tone]} ${view.title}`, 150) },
    { type: 'section', text: mrkdwn(md(view.text, 2_900)) },
  ];
  if (view.organisations.length > 0) {
    const names = view.organisations.map((n) => md(n, 100)).join(', ');
    blocks.push({ type: 'section', text: mrkdwn(`*Organisations (${view.organisations.length}):* ${clip(names, SECTION_CHARS - 40)}`) });
  }
  return { text: md(`${view.title}: ${view.text}`, 3_000), blocks, attachments: [{ color: COLORS[view.tone], blocks: [{ type: 'context', elements: [mrkdwn(view.tone === 'good' ? 'Recovered' : 'Notice')] }] }] };
}

function renderErrors(view: ErrorsView): SlackMessage {
  const blocks: Block[] = [{ type: 'header', text: plain(view.title, 150) }];
  if (view.rows.length === 0) {
    blocks.push({ type: 'section', text: mrkdwn(LISTS.noErrors) });
    return { text: md(`${view.title}: no errors recorded`), blocks };
  }
  // The reason leads; the raw detail (operation, Xero's status and words) follows, subdued.
  const lines = view.rows.map((r) => {
    const times = r.from && r.count > 1 ? `${slackDate(r.from)}–${slackDate(r.at)}` : slackDate(r.at);
    const count = r.count > 1 ? ` ${LABELS.errorsFolded(r.count)}` : '';
    const detail = r.detail ? `\n      _${LABELS.reasonDetail}: ${md(r.detail, 300)}_` : '';
    const note = r.note ? ` · :memo: ${LIFECYCLE.noteLine(r.by ? mention(r.by) : '?', md(r.note, 600))}` : '';
    return `${times} · *${md(r.tenantName, 60)}* · ${md(r.reason, 200)}${count}${note}${detail}`;
  });
  let chars = 0;
  let shown = 0;
  for (const chunk of packLines(lines, SECTION_CHARS)) {
    if (blocks.length >= LIMITS.blocksPerMessage - 2 || chars + chunk.length > 10_000) break;
    blocks.push({ type: 'section', text: mrkdwn(chunk) });
    chars += chunk.length;
    shown += chunk.split('\n').filter((l) => !l.startsWith('      _')).length;
  }
  if (shown < lines.length) blocks.push({ type: 'context', elements: [mrkdwn(md(LABELS.moreRows(lines.length - shown)))] });
  return { text: md(`${view.title}: ${view.rows.length} lines`), blocks };
}

function renderLink(view: LinkView): SlackMessage {
  return {
    text: clip(`${md(view.text, 2_800)} ${view.url}`, 3_000),
    blocks: [
      { type: 'section', text: mrkdwn(mdPhrase(view.rich ?? view.text, 2_900)) },
      { type: 'actions', elements: [{ type: 'button', action_id: LINK_ACTION_ID, text: plain(view.buttonText, 75), url: view.url, style: 'primary' }] },
      { type: 'context', elements: [mrkdwn(mdPhrase(LABELS.linkFooter(view.expiresAt)))] },
    ],
  };
}

function renderText(view: TextView): SlackMessage {
  const prefix = view.tone === 'info' ? '' : `${TONE_EMOJI[view.tone]} `;
  const head = view.title ? `${prefix}*${md(view.title, 150)}*\n` : prefix;
  const blocks: Block[] = [{ type: 'section', text: mrkdwn(`${head}${mdPhrase(view.rich ?? view.text, 2_900 - head.length)}`) }];
  const lines = view.lines.map((l) => `• ${md(l, 500)}`);
  let chars = blocks[0]?.type === 'section' ? (blocks[0].text?.text.length ?? 0) : 0;
  for (const chunk of packLines(lines, SECTION_CHARS).slice(0, LIMITS.blocksPerMessage - 1)) {
    if (chars + chunk.length > 10_000) break;
    blocks.push({ type: 'section', text: mrkdwn(chunk) });
    chars += chunk.length;
  }
  if (view.useChannelButton) blocks.push({ type: 'actions', elements: [{ type: 'button', action_id: USE_CHANNEL_ACTION, text: plain(view.useChannelButton, 75), style: 'primary' }] });
  const fallback = [view.title, plainText(view.rich ?? view.text)].filter(Boolean).join(': ');
  return { text: md(fallback || ' ', 3_000), blocks };
}
