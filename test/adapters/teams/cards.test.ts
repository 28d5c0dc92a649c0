// The Adaptive Card renderer: every view, checked against the official 1.5 schema, plus the
// layout rules that matter to people (buttons, confirm step, resolved look, long lists).
import { describe, expect, it } from 'vitest';
import { ACTION_IDS } from '../../../src/domain/actions.ts';
import { renderCard, viewActivity } from '../../../src/adapters/teams/cards/render.ts';
import { sampleCards, sampleViews } from '../../fixtures/card-samples.ts';
import { cardBytes, escapeMarkdown, formatTime, utcTime } from '../../../src/adapters/teams/cards/card.ts';
import { checkCard, MAX_CARD_BYTES } from '../../../scripts/check-teams.ts';
import { plainText } from '../../../src/adapters/teams/bot.ts';
import type { AlertView, SummaryView, View } from '../../../src/domain/views/model.ts';

const sample = (name: string): View => sampleViews().find((s) => s.name === name)!.view;

describe('every card the Teams adapter can send', () => {
  it.each(sampleCards().map(({ name, card }) => [name, card] as const))('%s validates against Adaptive Cards 1.5', (_name, card) => {
    expect(checkCard(card)).toEqual([]);
    expect(card.version).toBe('1.5');
  });

  it('the check rejects what Teams would not render', () => {
    expect(checkCard({ type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlok', text: 'typo' }] }).length).toBeGreaterThan(0);
    expect(checkCard({ type: 'AdaptiveCard', version: '1.6', body: [] })).toContain('version 1.6 is above 1.5, the most Teams renders');
    expect(checkCard({ type: 'AdaptiveCard', version: '1.5', msteams: { width: 'Full' }, body: [] }).join()).toContain('other than mention entities');
    expect(checkCard({ type: 'AdaptiveCard', version: '1.5', other: true, body: [] }).join()).toContain('additional properties');
    const stray = { type: 'mention', text: '<at>Nobody</at>', mentioned: { id: '29:x', name: 'Nobody' } };
    expect(checkCard({ type: 'AdaptiveCard', version: '1.5', msteams: { entities: [stray] }, body: [] }).join()).toContain('which no text in the card holds');
    const huge = { type: 'AdaptiveCard', version: '1.5', body: [{ type: 'TextBlock', text: 'x'.repeat(MAX_CARD_BYTES) }] };
    expect(checkCard(huge).join()).toContain('byte budget');
  });
});

describe('alert card', () => {
  const alert = sample('alert: fresh') as AlertView;

  it('shows what broke, since when, who connected it and the next step, with the three buttons', () => {
    expect(renderCard(alert)).toMatchSnapshot();
  });

  it('names people as Teams mentions: <at> in the text and one entity per person at the card root', () => {
    const card = renderCard(sample('alert: reconnect path, a link in motion, send link to…'));
    const json = JSON.stringify(card.body);
    expect(json).toContain('<at>Bob \\\\*Bookkeeper\\\\*</at>');
    expect(card.msteams?.entities).toEqual([{ type: 'mention', text: '<at>Bob \\*Bookkeeper\\*</at>', mentioned: { id: '29:bob', name: 'Bob *Bookkeeper*' } }]);
    expect(json).not.toContain('\u2063');
    expect(checkCard(card)).toEqual([]);
  });

  it('carries the button value as Action.Execute data, and asks before disconnecting', () => {
    const card = renderCard(alert);
    const [disconnect, reconnect, confirm] = card.actions!;
    expect(disconnect).toMatchObject({ type: 'Action.ShowCard', title: 'Disconnect' });
    const confirmStep = disconnect?.type === 'Action.ShowCard' ? disconnect.card.actions![0] : undefined;
    expect(confirmStep).toEqual({
      type: 'Action.Execute',
      title: 'Yes, disconnect',
      verb: ACTION_IDS.disconnect,
      data: { incidentId: 'inc-1', connectionId: 'con-1' },
      style: 'destructive',
    });
    expect(reconnect).toMatchObject({ type: 'Action.Execute', verb: ACTION_IDS.reconnect, data: { incidentId: 'inc-1', connectionId: 'con-1' }, style: 'positive' });
    expect(confirm).toMatchObject({ type: 'Action.Execute', verb: ACTION_IDS.confirmXero, title: 'I disconnected in Xero too' });
  });

  it('turns green without buttons once resolved, and says how long it was broken', () => {
    const card = renderCard(sample('alert: resolved'));
    expect(card.actions).toBeUndefined();
    expect(card.body[0]).toMatchObject({ type: 'Container', style: 'good' });
    expect(JSON.stringify(card)).toContain('Time to recover: 20 minutes');
  });

  it('shows only the buttons still worth pressing', () => {
    const card = renderCard(sample('alert: every step done but reconnect'));
    expect(card.actions!.map((a) => a.title)).toEqual(['Reconnect']);
  });

  it('keeps names typed by people from turning into Markdown', () => {
    const card = renderCard({ ...alert, tenantName: 'Acme *Ltd* [NZ]' });
    const header = JSON.stringify(card.body[0]);
    expect(header).toContain('Acme \\\\*Ltd\\\\* \\\\[NZ\\\\]');
    expect(escapeMarkdown('Demo Company (NZ)')).toBe('Demo Company (NZ)');
  });
});

describe('lists', () => {
  it('fits 500 connections into one card, problems first, and says how many it left out', () => {
    const view = sample('status: 500 connections');
    const card = renderCard(view);
    expect(cardBytes(card)).toBeLessThan(MAX_CARD_BYTES);
    const text = JSON.stringify(card);
    expect(text).toMatch(/…and \d+ more/);
    expect(text).toContain('500 connections: 480 connected');
  });

  it('names all 100 organisations of a full summary in one card, even with long names', () => {
    const view = sample('summary: full, 100 long names, two causes, some restored') as SummaryView;
    const card = renderCard(view);
    expect(cardBytes(card)).toBeLessThan(MAX_CARD_BYTES);
    expect(checkCard(card)).toEqual([]);
    const text = JSON.stringify(card);
    expect(text).not.toMatch(/…and \d+ more/);
    for (const row of view.rows) expect(text).toContain(JSON.stringify(escapeMarkdown(row.tenantName)).slice(1, -1));
    // Each cause is explained once.
    expect(text.split('The Xero user lost access to this organisation.').length - 1).toBe(1);
  });

  it('fits a mass revocation of 1,000 into one summary card', () => {
    const card = renderCard(sample('summary: mass revocation'));
    expect(cardBytes(card)).toBeLessThan(MAX_CARD_BYTES);
    expect(JSON.stringify(card)).toMatch(/…and \d+ more/);
  });
});

describe('links and messages', () => {
  it('puts a link behind an Action.OpenUrl button and says when it expires', () => {
    const card = renderCard(sample('link: reconnect'));
    expect(card.actions).toEqual([{ type: 'Action.OpenUrl', title: 'Reconnect to Xero', url: 'https://guard.example.com/xero/connect?t=abc', style: 'positive' }]);
    expect(JSON.stringify(card)).toContain(`expires ${formatTime('2026-03-03T09:30:00.000Z')}`);
  });

  it('wraps a card in a message activity with a plain summary for notifications', () => {
    const activity = viewActivity(sample('notice: warning'));
    expect(activity.attachments[0]!.contentType).toBe('application/vnd.microsoft.card.adaptive');
    expect(activity.summary).toBe('Xero API unreachable. Checks keep failing with timeouts since 09:00 UTC.');
  });

  it('names commands the Teams way: a message to the bot, not a slash command', () => {
    const card = renderCard({ type: 'text', tone: 'info', text: 'Try /xero reconnect <organisation>.', lines: ['/xero status: every connection'] });
    expect(card.body.map((e) => (e.type === 'TextBlock' ? e.text : ''))).toEqual(['Try **reconnect** <organisation>.', '• **status**: every connection']);
    expect(plainText({ type: 'text', tone: 'danger', text: 'That button is out of date. Run /xero status.', lines: [] })).toBe('That button is out of date. Run "status".');
  });

  it("shows times in each reader's own zone (Teams fills DATE and TIME), and UTC only in plain text", () => {
    expect(formatTime('2026-03-03T09:05:00.000Z')).toBe('{{DATE(2026-03-03T09:05:00Z, SHORT)}} {{TIME(2026-03-03T09:05:00Z)}}');
    expect(utcTime('2026-03-03T09:05:00.000Z')).toBe('3 Mar 2026, 09:05 UTC');
  });
});
