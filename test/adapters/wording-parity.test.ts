// One wording for both platforms: every view is rendered by the Slack renderer and by the Teams
// renderer, and each sentence the view carries (and each label written once in src/domain/views)
// must appear, word for word, in both. Layout may differ; words may not.
import { describe, expect, it } from 'vitest';
import { renderView } from '../../src/adapters/slack/render.ts';
import { renderCard } from '../../src/adapters/teams/cards/render.ts';
import { plainText } from '../../src/adapters/teams/bot.ts';
import { FALLBACK_VIEW } from '../../src/adapters/chat/pipeline.ts';
import { sampleViews } from '../fixtures/card-samples.ts';
import { toAlertView } from '../../src/domain/views/alert.ts';
import { toErrorsView } from '../../src/domain/views/errors.ts';
import { encodePerson, type ConnectionFacts, type IncidentFacts } from '../../src/domain/views/facts.ts';
import { renderPhrase, type Phrase } from '../../src/domain/views/phrase.ts';
import { textView } from '../../src/domain/views/text.ts';
import { ANSWERS, LABELS, THREAD } from '../../src/domain/views/wording.ts';
import type { AlertView, Person, View } from '../../src/domain/views/model.ts';
import { CAUSES } from '../../src/domain/causes.ts';

const TIME = '‹time›';

/**
 * A view's sentence as plain words: people by name, times as one placeholder, and without the live
 * "… ago" that only Slack can add after a time (the words are the same; the nicety is Slack's).
 */
function words(phrase: Phrase | string): string {
  return renderPhrase(phrase, { text: (s) => s, person: (p) => p.name ?? p.userId, at: () => TIME, ago: () => '' });
}

/** What Slack shows, as plain words: entities decoded, mentions by name, date tokens as the placeholder. */
function slackWords(view: View, people: Map<string, string>): string {
  const raw = JSON.stringify(renderView(view));
  const text = JSON.parse(`[${raw}]`) as unknown;
  const strings: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') strings.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(text);
  return strings
    .join('\n')
    .replace(/, <!date\^\d+\^\{ago\}\|[^>]*>/g, '')
    .replace(/<!date\^\d+\^[^|>]+\|[^>]*>/g, TIME)
    .replace(/<@([A-Z0-9]+)>/g, (_m, id: string) => people.get(id) ?? id)
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** What Teams shows, as plain words: mentions by name, Markdown escapes undone, DATE/TIME as the placeholder. */
function teamsWords(view: View): string {
  const strings: string[] = [];
  const walk = (v: unknown) => {
    if (typeof v === 'string') strings.push(v);
    else if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') Object.values(v).forEach(walk);
  };
  walk(renderCard(view));
  return strings
    .join('\n')
    .replace(/<at>([^<]*)<\/at>/g, '$1')
    .replace(/\{\{DATE\([^)]*\)\}\} \{\{TIME\([^)]*\)\}\}/g, TIME)
    .replace(/\\([\\`*_[\]])/g, '$1')
    .replace(/\*\*([a-z]+)\*\*/g, '/xero $1');
}

/** Every person a view names, for reading Slack mentions back as names. */
function peopleOf(view: View): Map<string, string> {
  const found = new Map<string, string>();
  const walk = (v: unknown) => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (v && typeof v === 'object') {
      const o = v as Partial<Person>;
      if (typeof o.userId === 'string' && typeof o.platform === 'string') found.set(o.userId, o.name ?? o.userId);
      Object.values(v).forEach(walk);
    }
  };
  walk(view);
  return found;
}

/** The sentences a view carries, and the labels its renderers must take from src/domain/views. */
function sentencesOf(view: View): string[] {
  switch (view.type) {
    case 'alert': {
      const out = [...(view.resolved ? [] : [view.headline]), view.explanation, words(view.next ?? view.nextStep), ...view.inMotion.map(words)];
      if (view.resolved) out.push(view.resolved.by ? words(LABELS.resolvedBy(view.resolved.by, view.resolved.at, view.resolved.recoveredAfterMs)) : words(LABELS.resolvedAt(view.resolved.at, view.resolved.recoveredAfterMs)));
      else out.push(LABELS.organisation, LABELS.connectedBy, LABELS.lastGoodCheck, LABELS.nextStep);
      for (const [key, step] of Object.entries(view.steps)) out.push(words(LABELS.stepDone(LABELS.steps_[key as keyof AlertView['steps']], step.by, step.at)));
      if (!view.resolved) {
        for (const b of view.buttons) out.push(LABELS.buttons[b]);
        if (view.buttons.includes('disconnect')) {
          out.push(LABELS.confirmDisconnect.title(view.tenantName), LABELS.confirmDisconnect.text(view.tenantName), LABELS.confirmDisconnect.confirm);
        }
      }
      return out.filter((s) => !view.resolved || s !== words(view.next ?? view.nextStep));
    }
    case 'text':
      return [...(view.title ? [view.title] : []), words(view.rich ?? view.text), ...view.lines.slice(0, 5)];
    case 'link':
      return [words(view.rich ?? view.text), view.buttonText, words(LABELS.linkFooter(view.expiresAt))];
    case 'notice':
      return [view.title, view.text];
    case 'summary':
      return [view.title, view.text, ...view.rows.filter((r) => !r.resolved).slice(0, 5).map((r) => r.tenantName)];
    case 'errors':
      return [view.title, ...view.rows.slice(0, 3).flatMap((r) => [r.tenantName, r.reason, ...(r.detail ? [r.detail] : [])])];
    case 'status':
      return [view.summary, ...view.rows.slice(0, 3).map((r) => r.tenantName)];
  }
}

const at = (m: number) => new Date(Date.UTC(2026, 10, 23, 8, m));
const ada: Person = { platform: 'slack', userId: 'U0ADA0001', name: 'Ada' };
const connection: ConnectionFacts = {
  id: 'c1', tenantName: 'Smith & <Jones> *Ltd*', state: 'broken', stateSince: at(0), connectedByPlatform: 'slack',
  connectedByUserId: 'U0CONN001', connectedByName: 'Connie', lastGoodCheckAt: at(0), lastCause: 'token_revoked',
};
const incident = (over: Partial<IncidentFacts> = {}): IncidentFacts => ({
  id: 'i1', connectionId: 'c1', cause: 'token_revoked', status: 'open', openedAt: at(5), brokenSince: at(0), httpStatus: 400, xeroError: 'invalid_grant',
  disconnectedAt: null, disconnectedBy: null, confirmedXeroAt: null, confirmedXeroBy: null, reconnectRequestedAt: null, reconnectRequestedBy: null,
  reconnectedAt: null, reconnectedBy: null, resolvedAt: null,
  linksSent: JSON.stringify([{ to: { platform: 'slack', userId: 'U0CONN001', name: 'Connie' }, at: at(5).toISOString(), expiresAt: at(35).toISOString() }]),
  ...over,
});

function views(): { name: string; view: View }[] {
  return [
    ...sampleViews(),
    ...CAUSES.map((cause) => ({ name: `built alert: ${cause}`, view: toAlertView(incident({ cause }), connection) as View })),
    { name: 'built alert: full reset begun', view: toAlertView(incident({ resetAdvised: true, disconnectedAt: at(6), disconnectedBy: encodePerson(ada) }), connection) },
    { name: 'built alert: resolved', view: toAlertView(incident({ status: 'resolved', resolvedAt: at(50), reconnectedAt: at(50), reconnectedBy: encodePerson(ada) }), connection) },
    { name: 'thread: reconnect requested', view: textView(THREAD.reconnectRequested(ada, { platform: 'slack', userId: 'U0CONN001', name: 'Connie' })) },
    { name: 'answer: refusal naming the connector', view: textView(ANSWERS.refusedNotAdminOrConnector({ platform: 'slack', userId: 'U0CONN001', name: 'Connie' }), 'warning') },
    {
      name: 'built errors: folded',
      view: toErrorsView(
        [0, 1, 2].map((i) => ({ at: at(45 - i * 15), tenantName: 'Acme', operation: 'organisation', httpStatus: 503, xeroError: null, cause: 'xero_unavailable' })),
      ),
    },
  ];
}

describe('one wording for Slack and Teams', () => {
  it.each(views().map(({ name, view }) => [name, view] as const))('%s: both platforms carry the same sentences', (_name, view) => {
    const people = peopleOf(view);
    const slack = slackWords(view, people);
    const teams = teamsWords(view);
    for (const sentence of sentencesOf(view)) {
      expect(slack, `Slack lacks: ${sentence}`).toContain(sentence);
      expect(teams, `Teams lacks: ${sentence}`).toContain(sentence);
    }
  });

  it('the fallback answer (a handler threw or hung) is the same sentence on both platforms', () => {
    expect(FALLBACK_VIEW.text).toBe(LABELS.fallbackError);
    expect(slackWords(FALLBACK_VIEW, new Map())).toContain(LABELS.fallbackError);
    expect(teamsWords(FALLBACK_VIEW)).toContain(LABELS.fallbackError);
    // A click's refusal is told in the invoke answer, as one line of text.
    expect(plainText(FALLBACK_VIEW)).toBe(LABELS.fallbackError);
  });

  it('shows no internal code, HTTP status or API path in any alert', () => {
    for (const { view } of views().filter((v) => v.view.type === 'alert')) {
      const shown = `${slackWords(view, peopleOf(view))}\n${teamsWords(view)}`;
      for (const cause of CAUSES) expect(shown).not.toContain(cause);
      expect(shown).not.toMatch(/HTTP \d|GET \/|\/connections|invalid_grant/);
    }
  });
});
