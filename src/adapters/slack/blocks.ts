// Block Kit primitives and the text helpers every Slack renderer uses. Slack's limits live in
// limits.ts; the helpers here clip text so that a long organisation name or Xero error can never
// push a block over them (Slack rejects the whole message with invalid_blocks otherwise).
import type { Person } from '../../domain/views/model.ts';
import { renderPhrase, type Phrase } from '../../domain/views/phrase.ts';

export type PlainText = { type: 'plain_text'; text: string; emoji?: boolean };
export type Mrkdwn = { type: 'mrkdwn'; text: string };
export type TextObject = PlainText | Mrkdwn;

export type Confirm = { title: PlainText; text: PlainText | Mrkdwn; confirm: PlainText; deny: PlainText; style?: 'primary' | 'danger' };
export type ButtonElement = {
  type: 'button';
  action_id: string;
  text: PlainText;
  value?: string;
  url?: string;
  style?: 'primary' | 'danger';
  confirm?: Confirm;
  accessibility_label?: string;
};

export type HeaderBlock = { type: 'header'; block_id?: string; text: PlainText };
export type UsersSelectElement = { type: 'users_select'; action_id: string; placeholder: PlainText };
export type OverflowElement = { type: 'overflow'; action_id: string; options: { text: PlainText; value: string }[] };
export type SectionBlock = { type: 'section'; block_id?: string; text?: TextObject; fields?: TextObject[]; accessory?: ButtonElement };
export type ContextBlock = { type: 'context'; block_id?: string; elements: TextObject[] };
/** A drop-down in an actions block; the click carries the chosen option's value. */
export type SelectElement = { type: 'static_select'; action_id: string; placeholder: PlainText; options: { text: PlainText; value: string }[] };
export type ActionsBlock = { type: 'actions'; block_id?: string; elements: (ButtonElement | SelectElement | UsersSelectElement)[] };
export type DividerBlock = { type: 'divider'; block_id?: string };
export type Block = HeaderBlock | SectionBlock | ContextBlock | ActionsBlock | DividerBlock;

export type Attachment = { color: string; fallback?: string; blocks: Block[] };

/** One chat message as chat.postMessage / chat.update / response_url take it. */
export type SlackMessage = { text: string; blocks: Block[]; attachments?: Attachment[] };

/** The App Home tab as views.publish takes it. */
export type HomeView = { type: 'home'; blocks: Block[] };

export const COLORS = { good: '#2EB67D', danger: '#E01E5A', warning: '#ECB22E', info: '#1D9BD1' } as const;
export type Tone = keyof typeof COLORS;

export const TONE_EMOJI: Record<Tone, string> = {
  good: ':white_check_mark:',
  danger: ':rotating_light:',
  warning: ':warning:',
  info: ':information_source:',
};

/** Slack mrkdwn needs only &, < and > escaped; everything else is literal. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts text to at most `max` characters, ending with an ellipsis when it had to cut. */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  return `${text.slice(0, Math.max(0, max - 1)).trimEnd()}…`;
}

/** Escapes free text for mrkdwn, then clips it to `max` without cutting an entity in half. */
export function md(text: string, max = 2_000): string {
  const escaped = escapeMrkdwn(text);
  if (escaped.length <= max) return escaped;
  const cut = escaped.slice(0, Math.max(0, max - 1)).replace(/&[a-z]{0,3}$/, '');
  return `${cut.trimEnd()}…`;
}

export const plain = (text: string, max: number): PlainText => ({ type: 'plain_text', text: clip(text, max) || ' ', emoji: true });
export const mrkdwn = (text: string): Mrkdwn => ({ type: 'mrkdwn', text });

/** A Slack user becomes a mention (it notifies and stays correct when renamed); others by name. */
export function mention(person: Person): string {
  if (person.platform === 'slack' && /^[UW][A-Z0-9]{2,}$/.test(person.userId)) return `<@${person.userId}>`;
  return md(person.name ?? person.userId, 80);
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "23 Nov 10:05 UTC": compact, used where many rows must fit (status, errors). */
export function shortUtc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const hh = String(d.getUTCHours()).padStart(2, '0');
  const mm = String(d.getUTCMinutes()).padStart(2, '0');
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${hh}:${mm}`;
}

/** A time every reader sees in their own time zone; the fallback shows where Slack cannot format. */
export function slackDate(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return md(iso, 40);
  const unix = Math.floor(d.getTime() / 1000);
  return `<!date^${unix}^{date_short_pretty} {time}|${shortUtc(iso)} UTC>`;
}

/** "12 minutes ago", kept current by Slack in each reader's client. */
export function slackAgo(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return md(iso, 40);
  return `<!date^${Math.floor(d.getTime() / 1000)}^{ago}|${shortUtc(iso)} UTC>`;
}

/**
 * A sentence as mrkdwn: words escaped (an organisation named "<!channel> Ltd" pings nobody),
 * people as mentions, times as date tokens.
 */
export function mdPhrase(phrase: Phrase | string, max = 2_900): string {
  const out = renderPhrase(phrase, { text: (s) => escapeMrkdwn(s), person: mention, at: slackDate, ago: (i) => `, ${slackAgo(i)}` });
  return out.length <= max ? out : md(renderPhrase(phrase, { text: (s) => s, person: (p) => p.name ?? p.userId, at: (i) => `${shortUtc(i)} UTC`, ago: () => '' }), max);
}

/**
 * Joins lines into as few mrkdwn texts as possible, each at most `max` characters; a single line
 * longer than `max` is clipped. Used to lay out rows in sections without breaking a row.
 */
export function packLines(lines: readonly string[], max: number): string[] {
  const chunks: string[] = [];
  let current = '';
  for (const raw of lines) {
    const line = raw.length > max ? clip(raw, max) : raw;
    if (current && current.length + 1 + line.length > max) {
      chunks.push(current);
      current = line;
    } else {
      current = current ? `${current}\n${line}` : line;
    }
  }
  if (current) chunks.push(current);
  return chunks;
}
