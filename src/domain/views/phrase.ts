// A sentence that names people and times. Each platform shows a person its own way (a Slack
// mention, a Teams display name) and a time in each reader's own zone (Slack date tokens, Adaptive
// Card DATE/TIME), so a sentence is kept as parts and each renderer lays the parts out. The words
// stay here, written once; `plainText` is the version for notifications, logs and tests.
import { z } from 'zod';
import { PLATFORMS } from '../permissions.ts';
import { formatDuration } from '../duration.ts';

const person = z.object({ platform: z.enum(PLATFORMS), userId: z.string(), name: z.string().optional() });

export const partSchema = z.union([
  z.string(),
  /** A person: a mention where the platform has one. */
  z.object({ person }),
  /** A moment, in the reader's own time zone. */
  z.object({ at: z.string() }),
  /**
   * After a moment already given: ", 12 minutes ago" where the platform keeps that current in each
   * reader's client (Slack); nothing where it cannot (Teams, plain text), so no time is said twice.
   */
  z.object({ ago: z.string() }),
]);
export type Part = z.infer<typeof partSchema>;
export const phraseSchema = z.array(partSchema);
export type Phrase = Part[];

type PersonPart = Extract<Part, { person: unknown }>['person'];

/** Tagged template: p`${person} has a link since ${at(iso)}` keeps people and times as parts. */
export function p(strings: TemplateStringsArray, ...values: (string | number | Part | Phrase)[]): Phrase {
  const out: Phrase = [];
  strings.forEach((s, i) => {
    if (s) out.push(s);
    if (i < values.length) {
      const v = values[i]!;
      if (Array.isArray(v)) out.push(...v);
      else out.push(typeof v === 'number' ? String(v) : v);
    }
  });
  return merge(out);
}

export const person$ = (who: PersonPart | undefined): Part => (who ? { person: who } : 'someone');
export const at$ = (iso: string | Date): Part => ({ at: typeof iso === 'string' ? iso : iso.toISOString() });
export const ago$ = (iso: string | Date): Part => ({ ago: typeof iso === 'string' ? iso : iso.toISOString() });

/** Joins adjacent strings, so a phrase of words only is a single string part. */
export function merge(parts: Phrase): Phrase {
  const out: Phrase = [];
  for (const part of parts) {
    const last = out[out.length - 1];
    if (typeof part === 'string' && typeof last === 'string') out[out.length - 1] = last + part;
    else if (part !== '') out.push(part);
  }
  return out;
}

export function joinPhrases(phrases: readonly Phrase[], separator = ' '): Phrase {
  const out: Phrase = [];
  phrases.forEach((phrase, i) => {
    if (i > 0) out.push(separator);
    out.push(...phrase);
  });
  return merge(out);
}

/** A person's name for plain text: the display name, else the id. */
export function nameOf(who: PersonPart | undefined): string {
  if (!who) return 'someone';
  return who.name ?? who.userId;
}

/** "2026-11-23 08:05 UTC": plain text has no reader, so one zone, said. */
export function utc(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** "12 minutes ago", from `now`; used in plain text only. */
export function agoText(iso: string, now: Date): string {
  const ms = now.getTime() - new Date(iso).getTime();
  if (ms < 60_000) return 'just now';
  return `${formatDuration(ms)} ago`;
}

export type PartRenderer = { text(s: string): string; person(who: PersonPart): string; at(iso: string): string; ago(iso: string): string };

export function renderPhrase(phrase: Phrase | string, r: PartRenderer): string {
  if (typeof phrase === 'string') return r.text(phrase);
  return phrase
    .map((part) => {
      if (typeof part === 'string') return r.text(part);
      if ('person' in part) return r.person(part.person);
      if ('at' in part) return r.at(part.at);
      return r.ago(part.ago);
    })
    .join('');
}

/** The phrase as plain words: names, UTC times. */
export function plainText(phrase: Phrase | string): string {
  return renderPhrase(phrase, { text: (s) => s, person: nameOf, at: utc, ago: () => '' });
}
