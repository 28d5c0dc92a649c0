// The few Adaptive Card 1.5 pieces Xero Guard uses, typed, with small builders. Teams renders at
// most schema 1.5 (reference/chat-facts.md 5.5), and every card must validate against the official
// 1.5 schema. The one Teams-only root property is `msteams.entities`, which Teams documents for
// mentions in cards: without it `<at>Name</at>` is shown as plain text and nobody is notified.
import type { StepDone, Person } from '../../../domain/views/model.ts';
import { renderPhrase, type Phrase } from '../../../domain/views/phrase.ts';

export const CARD_VERSION = '1.5';
export const CARD_CONTENT_TYPE = 'application/vnd.microsoft.card.adaptive';

export type Tone = 'info' | 'warning' | 'danger' | 'good';

export type TextBlock = {
  type: 'TextBlock';
  text: string;
  wrap?: boolean;
  size?: 'Small' | 'Default' | 'Medium' | 'Large';
  weight?: 'Lighter' | 'Default' | 'Bolder';
  color?: 'Default' | 'Dark' | 'Light' | 'Accent' | 'Good' | 'Warning' | 'Attention';
  isSubtle?: boolean;
  spacing?: 'None' | 'Small' | 'Default' | 'Medium' | 'Large';
  separator?: boolean;
  style?: 'default' | 'heading';
};
export type Fact = { title: string; value: string };
export type FactSet = { type: 'FactSet'; facts: Fact[]; spacing?: TextBlock['spacing'] };
export type Container = {
  type: 'Container';
  items: Element[];
  style?: 'default' | 'emphasis' | 'good' | 'attention' | 'warning' | 'accent';
  bleed?: boolean;
  separator?: boolean;
  spacing?: TextBlock['spacing'];
};
export type ActionSet = { type: 'ActionSet'; actions: Action[]; spacing?: TextBlock['spacing'] };
/**
 * A choice set; with `choices.data` Teams turns it into a people picker that searches the
 * organisation's directory (Data.Query over graph.microsoft.com/users) and returns the chosen
 * person's Entra object id.
 */
export type ChoiceSet = {
  type: 'Input.ChoiceSet';
  id: string;
  placeholder?: string;
  label?: string;
  style?: 'compact' | 'expanded';
  value?: string;
  choices: { title: string; value: string }[];
  'choices.data'?: { type: 'Data.Query'; dataset: 'graph.microsoft.com/users' };
  isRequired?: boolean;
  errorMessage?: string;
};
export type ColumnSet = { type: 'ColumnSet'; columns: { type: 'Column'; width?: 'auto' | 'stretch'; items: Element[]; verticalContentAlignment?: 'Center' }[]; separator?: boolean; spacing?: TextBlock['spacing'] };
/** Inputs: their values ride along in the Action.Execute data, keyed by `id`. */
export type InputText = { type: 'Input.Text'; id: string; label?: string; placeholder?: string; isMultiline?: boolean; maxLength?: number; isRequired?: boolean; errorMessage?: string };
export type InputChoiceSet = ChoiceSet;
export type Element = TextBlock | FactSet | Container | ActionSet | ChoiceSet | ColumnSet | InputText;

export type ExecuteAction = {
  type: 'Action.Execute';
  title: string;
  verb: string;
  data: Record<string, unknown>;
  style?: 'default' | 'positive' | 'destructive';
};
export type OpenUrlAction = { type: 'Action.OpenUrl'; title: string; url: string; style?: 'default' | 'positive' | 'destructive' };
export type ShowCardAction = { type: 'Action.ShowCard'; title: string; card: AdaptiveCard; style?: 'default' | 'positive' | 'destructive' };
export type Action = ExecuteAction | OpenUrlAction | ShowCardAction;

/** A mention as Teams wants it beside a card: `text` is exactly what the TextBlock holds. */
export type MentionEntity = { type: 'mention'; text: string; mentioned: { id: string; name: string } };

export type AdaptiveCard = {
  type: 'AdaptiveCard';
  $schema?: string;
  version: string;
  body: Element[];
  actions?: Action[];
  fallbackText?: string;
  msteams?: { entities: MentionEntity[] };
};

export function card(body: Element[], actions: Action[] = [], fallbackText?: string): AdaptiveCard {
  const entities: MentionEntity[] = [];
  const built: AdaptiveCard = {
    type: 'AdaptiveCard',
    $schema: 'http://adaptivecards.io/schemas/adaptive-card.json',
    version: CARD_VERSION,
    body: resolveMentions(body, entities),
    ...(actions.length > 0 ? { actions: resolveMentions(actions, entities) } : {}),
    ...(fallbackText ? { fallbackText } : {}),
  };
  return entities.length > 0 ? { ...built, msteams: { entities } } : built;
}

/** A nested card (inside Action.ShowCard): the schema wants no $schema there, only the version. */
export function innerCard(body: Element[], actions: Action[] = []): AdaptiveCard {
  return { type: 'AdaptiveCard', version: CARD_VERSION, body, ...(actions.length > 0 ? { actions } : {}) };
}

export function text(value: string, options: Omit<TextBlock, 'type' | 'text'> = {}): TextBlock {
  return { type: 'TextBlock', text: teamsCommands(value, 'markdown'), wrap: true, ...options };
}

/**
 * The shared wording names commands the Slack way ("/xero reconnect <org>"); in Teams they are
 * plain messages to the bot, so the prefix goes and the command word stands out instead.
 */
export function teamsCommands(value: string, format: 'markdown' | 'plain'): string {
  return value.replace(/\/xero\s+([a-z]+)/g, format === 'markdown' ? '**$1**' : '"$1"');
}

export function facts(pairs: [string, string | undefined][]): FactSet {
  return { type: 'FactSet', facts: pairs.filter((p): p is [string, string] => Boolean(p[1])).map(([title, value]) => ({ title, value })) };
}

const TONE_STYLE: Record<Tone, Container['style']> = { info: 'emphasis', warning: 'warning', danger: 'attention', good: 'good' };
const TONE_ICON: Record<Tone, string> = { info: 'ℹ️', warning: '⚠️', danger: '🔴', good: '✅' };

/** The coloured band at the top of a card: an icon and a title. */
export function header(title: string, tone: Tone, subtitle?: string): Container {
  const items: Element[] = [text(`${TONE_ICON[tone]} ${escapeMarkdown(title)}`, { size: 'Medium', weight: 'Bolder', style: 'heading' })];
  if (subtitle) items.push(text(subtitle, { isSubtle: true, spacing: 'None' }));
  return { type: 'Container', style: TONE_STYLE[tone], bleed: true, items };
}

// TextBlock text is a small Markdown subset (emphasis, links, lists): names typed by people
// (organisations, users) must not turn into emphasis or links by accident. Only the characters
// that subset reacts to are escaped, so "Demo Company (NZ)" stays as it is.
export function escapeMarkdown(value: string): string {
  return value.replace(/([\\`*_[\]])/g, '\\$1');
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** "3 Mar 2026, 09:05 UTC": for plain text only (fallbacks, previews), where no reader's zone is known. */
export function utcTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${date.getUTCDate()} ${MONTHS[date.getUTCMonth()]} ${date.getUTCFullYear()}, ${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())} UTC`;
}

/** A time each reader sees in their own zone: Teams fills in the DATE and TIME functions on the device. */
export function localTime(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const stamp = date.toISOString().replace(/\.\d{3}Z$/, 'Z');
  return `{{DATE(${stamp}, SHORT)}} {{TIME(${stamp})}}`;
}

/**
 * A time in each reader's own zone: Teams fills DATE() and TIME() in a TextBlock from the
 * reader's locale and zone. They want RFC 3339 without fractions of a second.
 */
export function formatTime(iso: string | undefined): string | undefined {
  if (!iso) return undefined;
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const rfc = `${date.toISOString().slice(0, 19)}Z`;
  return `{{DATE(${rfc}, SHORT)}} {{TIME(${rfc})}}`;
}

export function personName(person: Person | undefined): string | undefined {
  if (!person) return undefined;
  return person.name ?? person.userId;
}

// A mention is laid out where the person is named, but its entity belongs to the card's root, so
// the name travels as a marker that `card` swaps for `<at>Name</at>` and records as an entity.
const MARK = '\u2063';
const MARKER = new RegExp(`${MARK}([^${MARK}]*)${MARK}`, 'g');

/**
 * A person in card text: a Teams mention (it notifies them and shows their name as Teams knows
 * it); someone from elsewhere, or with no name known, by name only.
 */
export function mention(person: Person | undefined, fallback = 'someone'): string {
  if (!person) return fallback;
  const name = personName(person) ?? fallback;
  if (person.platform !== 'teams' || !person.name) return escapeMarkdown(name);
  return `${MARK}${encodeURIComponent(JSON.stringify({ id: person.userId, name }))}${MARK}`;
}

function resolveMentions<T>(value: T, entities: MentionEntity[]): T {
  if (typeof value === 'string') {
    return value.replace(MARKER, (_all, encoded: string) => {
      const { id, name } = JSON.parse(decodeURIComponent(encoded)) as { id: string; name: string };
      const tag = `<at>${escapeMarkdown(name)}</at>`;
      if (!entities.some((e) => e.text === tag && e.mentioned.id === id)) entities.push({ type: 'mention', text: tag, mentioned: { id, name } });
      return tag;
    }) as T;
  }
  if (Array.isArray(value)) return value.map((v) => resolveMentions(v, entities)) as T;
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, resolveMentions(v, entities)])) as T;
  return value;
}

export function stepDone(step: StepDone): string {
  return `${mention(step.by)}, ${formatTime(step.at)}`;
}

/** A sentence for a TextBlock: words escaped, people as mentions, times in the reader's zone. */
export function mdPhrase(phrase: Phrase | string): string {
  return renderPhrase(phrase, {
    text: escapeMarkdown,
    person: (p) => mention(p),
    at: (iso) => formatTime(iso) ?? iso,
    // Adaptive Cards have no relative time that stays current; the moment itself is already said.
    ago: () => '',
  });
}

/** Bytes a card takes on the wire: Teams refuses messages of about 28 KB and more. */
export function cardBytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value), 'utf8');
}

/** Keeps adding rendered rows while the card stays under the budget; says how many were left out. */
export function fitRows<R>(rows: readonly R[], render: (row: R) => Element, budgetBytes: number): { elements: Element[]; omitted: number } {
  const elements: Element[] = [];
  let used = 0;
  for (const [index, row] of rows.entries()) {
    const element = render(row);
    const size = cardBytes(element) + 1;
    if (used + size > budgetBytes) return { elements, omitted: rows.length - index };
    elements.push(element);
    used += size;
  }
  return { elements, omitted: 0 };
}

/** What a card budget leaves for rows: the whole message must stay well under Teams' ~28 KB. */
export const ROWS_BUDGET_BYTES = 20_000;
