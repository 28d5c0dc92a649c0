// From a platform-neutral view (src/domain/views/model.ts) to Slack messages. The wording comes
// with the view; this file only lays it out. Most views are one message; the status table may be
// several pages.
import type { ErrorsView, LinkView, NoticeView, SummaryView, TextView, View } from '../../domain/views/model.ts';
import { COLORS, TONE_EMOJI, clip, md, mrkdwn, packLines, plain, shortUtc, slackDate, type Block, type HomeView, type SlackMessage } from './blocks.ts';
import { LIMITS } from './limits.ts';
import { renderAlert } from './render-alert.ts';
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

function renderSummary(view: SummaryView): SlackMessage {
  const blocks: Block[] = [
    { type: 'header', text: plain(`${TONE_EMOJI.danger} ${view.title}`, 150) },
    { type: 'section', text: mrkdwn(md(view.text, 2_900)) },
  ];
  // Each cause is explained once; every organisation gets one short row.
  const causes = [...new Map(view.rows.map((r) => [r.cause, r.explanation])).entries()];
  const legend = causes.map(([cause, explanation]) => `\`${cause}\`: ${md(explanation, 400)}`);
  for (const chunk of packLines(legend, SECTION_CHARS).slice(0, 3)) blocks.push({ type: 'section', text: mrkdwn(chunk) });
  const rows = view.rows.map((r) => (r.resolved ? `🟢 ~${md(r.tenantName, 60)}~ resolved` : `${STATE_ICON.broken} *${md(r.tenantName, 60)}* · \`${r.cause}\``));
  const room = LIMITS.blocksPerMessage - blocks.length - 1;
  const chunks = packLines(rows, SECTION_CHARS);
  let chars = blocks.reduce((n, b) => n + (b.type === 'section' ? (b.text?.text.length ?? 0) : 0), 0);
  let shown = 0;
  for (const chunk of chunks.slice(0, room)) {
    if (chars + chunk.length > 10_000) break;
    blocks.push({ type: 'section', text: mrkdwn(chunk) });
    chars += chunk.length;
    shown += chunk.split('\n').length;
  }
  const more = view.more + (view.rows.length - shown);
  if (more > 0) blocks.push({ type: 'context', elements: [mrkdwn(`…and ${more} more. \`/xero status\` lists them all.`)] });
  return { text: clip(`${view.title}: ${view.text}`, 3_000), blocks, attachments: [{ color: COLORS.danger, blocks: [{ type: 'context', elements: [mrkdwn(`${view.rows.length + view.more} organisations`)] }] }] };
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
  return { text: clip(`${view.title}: ${view.text}`, 3_000), blocks, attachments: [{ color: COLORS[view.tone], blocks: [{ type: 'context', elements: [mrkdwn(view.tone === 'good' ? 'Recovered' : 'Notice')] }] }] };
}

function renderErrors(view: ErrorsView): SlackMessage {
  const blocks: Block[] = [{ type: 'header', text: plain(view.title, 150) }];
  if (view.rows.length === 0) {
    blocks.push({ type: 'section', text: mrkdwn('No errors recorded.') });
    return { text: `${view.title}: no errors recorded`, blocks };
  }
  const lines = view.rows.map((r) => {
    const parts = [`\`${shortUtc(r.at)}\``, `*${md(r.tenantName, 60)}*`, md(r.operation, 60)];
    if (r.httpStatus !== undefined) parts.push(`HTTP ${r.httpStatus}`);
    if (r.xeroError) parts.push(md(r.xeroError, 200));
    if (r.cause) parts.push(`\`${r.cause}\``);
    return parts.join(' · ');
  });
  let chars = 0;
  let shown = 0;
  for (const chunk of packLines(lines, SECTION_CHARS)) {
    if (blocks.length >= LIMITS.blocksPerMessage - 2 || chars + chunk.length > 10_000) break;
    blocks.push({ type: 'section', text: mrkdwn(chunk) });
    chars += chunk.length;
    shown += chunk.split('\n').length;
  }
  const context = shown < lines.length ? `…and ${lines.length - shown} more · times in UTC` : 'Newest first · times in UTC';
  blocks.push({ type: 'context', elements: [mrkdwn(context)] });
  return { text: `${view.title}: ${view.rows.length} errors`, blocks };
}

function renderLink(view: LinkView): SlackMessage {
  return {
    text: clip(`${view.text} ${view.url}`, 3_000),
    blocks: [
      { type: 'section', text: mrkdwn(md(view.text, 2_900)) },
      { type: 'actions', elements: [{ type: 'button', action_id: LINK_ACTION_ID, text: plain(view.buttonText, 75), url: view.url, style: 'primary' }] },
      { type: 'context', elements: [mrkdwn(`Single use; expires ${slackDate(view.expiresAt)}. Only for you: do not forward it.`)] },
    ],
  };
}

function renderText(view: TextView): SlackMessage {
  const prefix = view.tone === 'info' ? '' : `${TONE_EMOJI[view.tone]} `;
  const head = view.title ? `${prefix}*${md(view.title, 150)}*\n` : prefix;
  const blocks: Block[] = [{ type: 'section', text: mrkdwn(`${head}${md(view.text, 2_900 - head.length)}`) }];
  const lines = view.lines.map((l) => `• ${md(l, 500)}`);
  let chars = blocks[0]?.type === 'section' ? (blocks[0].text?.text.length ?? 0) : 0;
  for (const chunk of packLines(lines, SECTION_CHARS).slice(0, LIMITS.blocksPerMessage - 1)) {
    if (chars + chunk.length > 10_000) break;
    blocks.push({ type: 'section', text: mrkdwn(chunk) });
    chars += chunk.length;
  }
  const fallback = [view.title, view.text].filter(Boolean).join(': ');
  return { text: clip(fallback || ' ', 3_000), blocks };
}
