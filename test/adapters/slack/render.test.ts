// Every view the handlers produce, rendered for Slack, stays inside Block Kit's limits, including
// at the sizes that break naive renderers (500 connections, very long names and Xero errors).
import { describe, expect, it } from 'vitest';
import { ACTION_IDS, parseButtonValue } from '../../../src/domain/actions.ts';
import { STATES, type ConnectionState } from '../../../src/domain/states.ts';
import type { AlertView, StatusRow, StatusView, SummaryView, View } from '../../../src/domain/views/model.ts';
import type { Block, ButtonElement, SlackMessage } from '../../../src/adapters/slack/blocks.ts';
import { checkHome, checkMessage, LIMITS } from '../../../src/adapters/slack/limits.ts';
import { renderHomeView, renderView } from '../../../src/adapters/slack/render.ts';

const alice = { platform: 'slack' as const, userId: 'U0ALICE01', name: 'alice' };
const bob = { platform: 'slack' as const, userId: 'U0BOB0001', name: 'bob' };

function anAlert(overrides: Partial<AlertView> = {}): AlertView {
  return {
    type: 'alert',
    path: 'full_reset',
    inMotion: [],
    linksSent: [],
    incidentId: '5b0f7c1e-0c2a-4c55-9d1e-2b7d1b3f9a10',
    connectionId: 'c0ffee00-0000-4000-8000-000000000001',
    tenantName: 'Demo Company (NZ)',
    cause: 'token_revoked',
    headline: 'Xero connection revoked',
    explanation: 'The authorisation expired or was revoked; reconnect.',
    nextStep: 'Click Disconnect, then remove the app in Xero (Demo Company (NZ) > Settings > Connected Apps > Disconnect).',
    since: '2026-11-23T10:05:00.000Z',
    connectedBy: alice,
    lastGoodCheck: '2026-11-23T10:00:00.000Z',
    httpStatus: 400,
    xeroError: 'invalid_grant',
    steps: {},
    buttons: ['disconnect', 'reconnect', 'confirmXero'],
    ...overrides,
  };
}

function aRow(i: number, state: ConnectionState, name = `Organisation ${String(i).padStart(3, '0')}`): StatusRow {
  return {
    connectionId: `conn-${i}`,
    tenantName: name,
    state,
    since: '2026-11-01T08:00:00.000Z',
    lastGoodCheck: '2026-11-23T09:55:00.000Z',
    connectedBy: { platform: 'slack', userId: `U0${String(i).padStart(9, '0')}` },
    tokenAgeMs: 3 * 3_600_000 + 20 * 60_000,
    ...(state === 'broken' ? { cause: 'access_lost' as const } : {}),
  };
}

function aStatus(count: number, nameOf?: (i: number) => string): StatusView {
  const rows: StatusRow[] = [];
  for (let i = 0; i < count; i++) {
    const state: ConnectionState = i < Math.ceil(count / 50) ? 'broken' : i % 97 === 5 ? 'paused' : 'connected';
    rows.push(aRow(i, state, nameOf?.(i)));
  }
  const counts = Object.fromEntries(STATES.map((s) => [s, rows.filter((r) => r.state === s).length])) as Record<ConnectionState, number>;
  return { type: 'status', summary: `${count} connections: ${counts.connected} connected, ${counts.broken} broken`, counts, rows };
}

function allText(message: SlackMessage): string {
  return JSON.stringify(message);
}

function expectWithinLimits(messages: SlackMessage[]): void {
  for (const m of messages) expect(checkMessage(m)).toEqual([]);
}

/** Action blocks of buttons (the alert's snooze drop-down sits in a block of its own). */
const actionsOf = (m: SlackMessage) =>
  m.blocks.filter((b): b is Extract<Block, { type: 'actions' }> & { elements: ButtonElement[] } => b.type === 'actions' && b.elements.every((e) => e.type === 'button'));

describe('Slack alert rendering', () => {
  it('shows the organisation and what happened, the cause, the facts and three buttons', () => {
    const [message] = renderView(anAlert());
    expect(message).toBeDefined();
    const m = message!;
    expect(m.blocks[0]).toMatchObject({ type: 'header', text: { type: 'plain_text' } });
    expect((m.blocks[0] as { text: { text: string } }).text.text).toContain('Demo Company (NZ): Xero connection revoked');
    expect(allText(m)).toContain('The authorisation expired or was revoked; reconnect.');
    const fields = m.blocks.find((b) => b.type === 'section' && b.fields)?.type === 'section' ? (m.blocks.find((b) => b.type === 'section' && b.fields) as { fields: { text: string }[] }).fields : [];
    expect(fields.map((f) => f.text).join('\n')).toMatch(/Broken since[\s\S]*<!date\^\d+/);
    expect(fields.map((f) => f.text).join('\n')).toContain('<@U0ALICE01>');
    expect(fields.map((f) => f.text).join('\n')).toContain('Last good check');
    expect(allText(m)).toContain('Next step:');

    const [actions] = actionsOf(m);
    expect(actions?.elements.map((e) => e.action_id)).toEqual([ACTION_IDS.disconnect, ACTION_IDS.reconnect, ACTION_IDS.confirmXero]);
    const [disconnect, reconnect, confirm] = actions!.elements as ButtonElement[];
    expect(disconnect).toMatchObject({ style: 'danger', text: { text: 'Disconnect' }, confirm: { style: 'danger', confirm: { text: 'Yes, disconnect' }, deny: { text: 'Cancel' } } });
    expect(reconnect).toMatchObject({ style: 'primary', text: { text: 'Reconnect' } });
    expect(confirm?.text.text).toBe('I disconnected in Xero too');
    expect(confirm?.style).toBeUndefined();
    for (const b of actions!.elements as ButtonElement[]) {
      expect(parseButtonValue(b.value)).toEqual({ ok: true, value: { incidentId: anAlert().incidentId, connectionId: anAlert().connectionId } });
    }
    expect(m.attachments?.[0]?.color).toBe('#E01E5A');
    expectWithinLimits([m]);
  });

  it('lists the steps done, with who and when, and uses new block ids when the alert changes', () => {
    const before = renderView(anAlert())[0]!;
    const after = renderView(
      anAlert({
        steps: { disconnectedHere: { by: bob, at: '2026-11-23T10:10:00.000Z' }, confirmedInXero: { by: alice, at: '2026-11-23T10:12:00.000Z' } },
        nextStep: 'Click Reconnect: alice gets a link.',
        buttons: ['reconnect'],
      }),
    )[0]!;
    const text = allText(after);
    expect(text).toContain('Disconnected in Xero Guard: <@U0BOB0001>, <!date^');
    expect(text).toContain('Removed in Xero too: <@U0ALICE01>, <!date^');
    expect(actionsOf(after)[0]?.elements.map((e) => e.action_id)).toEqual([ACTION_IDS.reconnect]);
    const ids = (m: SlackMessage) => m.blocks.map((b) => b.block_id);
    expect(ids(after).filter((id) => ids(before).includes(id))).toEqual([]);
    expectWithinLimits([after]);
  });

  it('turns green with the time to recover and no buttons once resolved', () => {
    const m = renderView(
      anAlert({
        steps: { reconnected: { by: alice, at: '2026-11-23T12:18:00.000Z' } },
        resolved: { at: '2026-11-23T12:18:00.000Z', recoveredAfterMs: 2 * 3_600_000 + 13 * 60_000, by: alice },
        buttons: [],
      }),
    )[0]!;
    expect(actionsOf(m)).toEqual([]);
    expect(m.attachments?.[0]?.color).toBe('#2EB67D');
    expect(allText(m)).toContain('Time to recover: 2 hours 13 minutes');
    expect(allText(m)).toContain('Resolved by <@U0ALICE01> <!date^');
    expect(m.text).toContain('restored. Resolved. Time to recover: 2 hours 13 minutes');
    expectWithinLimits([m]);
  });

  it('stays inside the limits with absurdly long names, explanations and Xero errors', () => {
    const long = 'Ünïcödé & <Sons> Limited '.repeat(40);
    const m = renderView(anAlert({ tenantName: long, headline: long, explanation: long.repeat(10), nextStep: long.repeat(10), xeroError: long, connectedBy: { platform: 'teams', userId: '29:abc', name: long } }))[0]!;
    expectWithinLimits([m]);
    expect(allText(m)).toContain('&amp; &lt;Sons&gt;');
  });
});

describe('Slack status table', () => {
  it.each([1, 12, 50, 120, 500])('renders %i connections within limits, summary first and broken first', (count) => {
    const view = aStatus(count);
    const pages = renderView(view);
    expectWithinLimits(pages);
    expect(pages.length).toBeLessThanOrEqual(5);
    const first = pages[0]!;
    expect(first.blocks[0]?.type).toBe('header');
    expect(allText(first)).toContain(view.summary);
    const text = pages.map(allText).join('\n');
    // every connection is listed, once
    for (const row of view.rows) expect(text.split(`*${row.tenantName}*`).length - 1).toBe(1);
    const firstConnected = text.indexOf('🟢');
    const lastBroken = text.lastIndexOf('🔴');
    expect(lastBroken).toBeGreaterThan(-1);
    // One connection is the broken one; from two on, some are connected and all of them follow.
    if (count === 1) expect(firstConnected).toBe(-1);
    else expect(lastBroken).toBeLessThan(firstConnected);
  });

  it('shows state, since, last good check, who connected and token age on a row', () => {
    const [page] = renderView(aStatus(3));
    const text = allText(page!);
    expect(text).toContain('🔴 *Organisation 000* · broken 1 Nov 08:00 · good 23 Nov 09:55 · <@U0000000000> · token refreshed 3 hours 20 minutes ago · Access to the organisation lost');
  });

  it('keeps 500 connections with 100-character names inside five pages, saying what was left out', () => {
    const pages = renderView(aStatus(500, (i) => `${'Very long organisation name '.repeat(4).slice(0, 96)}${String(i).padStart(4, '0')}`));
    expectWithinLimits(pages);
    expect(pages.length).toBeLessThanOrEqual(5);
  });

  it('says how to connect when there is nothing yet', () => {
    const pages = renderView({ type: 'status', summary: '0 connections', counts: {} as StatusView['counts'], rows: [] });
    expect(allText(pages[0]!)).toContain('/xero connect');
    expectWithinLimits(pages);
  });

  it('fits 500 connections in the App Home tab (100 blocks)', () => {
    const home = renderHomeView(aStatus(500), new Date('2026-11-23T10:00:00Z'));
    expect(home.type).toBe('home');
    expect(checkHome(home)).toEqual([]);
    const text = JSON.stringify(home);
    expect(text).toContain('Organisation 499');
    expect(text.indexOf('🔴')).toBeLessThan(text.indexOf('🟢'));
  });
});

describe('Slack summary', () => {
  const full = (nameOf: (i: number) => string): SummaryView => ({
    type: 'summary',
    title: '100 Xero connections broke',
    text: '100 connections broke within 30 s of other alerts; this message grows as more do.',
    rows: Array.from({ length: 100 }, (_, i) => ({
      incidentId: `i${i}`,
      connectionId: `c${i}`,
      tenantName: nameOf(i),
      cause: i % 3 === 0 ? ('access_lost' as const) : ('token_revoked' as const),
      explanation: i % 3 === 0 ? 'The Xero user lost access to this organisation.' : 'The authorisation expired or was revoked; reconnect.',
      resolved: i % 10 === 0,
    })),
    more: 0,
  });

  it.each([
    ['short names', (i: number) => `Org ${String(i).padStart(3, '0')}`],
    ['60-character names with characters to escape', (i: number) => `${'Smith & <Jones> Ltd '.repeat(3).slice(0, 56)}${String(i).padStart(4, '0')}`],
  ])('a full summary of 100 names every organisation in one message within limits (%s)', (_name, nameOf) => {
    const view = full(nameOf);
    const messages = renderView(view);
    expect(messages).toHaveLength(1);
    expectWithinLimits(messages);
    const text = allText(messages[0]!);
    expect(text).not.toContain('more.');
    for (const row of view.rows) expect(text).toContain(row.tenantName.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;'));
    // Each cause is explained once; restored rows are struck through.
    expect(text.split('The Xero user lost access to this organisation.').length - 1).toBe(1);
    expect(text).toContain(`🟢 ~${view.rows[0]!.tenantName.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;')}~`);
  });
});

describe('Other Slack messages', () => {
  const views: [string, View][] = [
    [
      'summary of a mass revocation',
      {
        type: 'summary',
        title: '1,000 Xero connections broke at once',
        text: 'Xero Guard found many definite breaks within 30 s.',
        rows: Array.from({ length: 1_000 }, (_, i) => ({ incidentId: `i${i}`, connectionId: `c${i}`, tenantName: `Org ${i}`, cause: 'token_revoked' as const, explanation: 'The authorisation expired or was revoked; reconnect.', resolved: i % 10 === 0 })),
        more: 0,
      },
    ],
    ['notice', { type: 'notice', tone: 'warning', title: 'Xero API unreachable', text: 'Checks are failing with timeouts since 10:05.', organisations: Array.from({ length: 800 }, (_, i) => `Org ${i}`) }],
    [
      'errors',
      {
        type: 'errors',
        title: 'Last 50 errors',
        rows: Array.from({ length: 50 }, (_, i) => ({ at: '2026-11-23T10:05:00.000Z', tenantName: `Org ${i} ${'x'.repeat(80)}`, operation: 'refresh', httpStatus: 400, xeroError: 'invalid_grant '.repeat(30), cause: 'token_revoked' as const, count: 1, reason: 'Xero refused the authorisation', detail: `refresh · status 400 · ${'invalid_grant '.repeat(20)}` })),
      },
    ],
    ['no errors', { type: 'errors', title: 'Last errors', rows: [] }],
    ['link', { type: 'link', purpose: 'reconnect', text: 'Reconnect Demo Company (NZ) to Xero:', buttonText: 'Reconnect Demo Company (NZ)', url: 'https://guard.example.com/xero/connect?t=abc', expiresAt: '2026-11-23T10:35:00.000Z' }],
    ['help', { type: 'text', tone: 'info', title: 'Xero Guard commands', text: 'Use /xero with:', lines: Array.from({ length: 400 }, (_, i) => `command ${i} does something useful`) }],
    ['refusal', { type: 'text', tone: 'warning', text: 'Only an admin or the person who connected Demo Company (NZ) can disconnect it.', lines: [] }],
  ];

  it.each(views)('%s stays within limits', (_name, view) => {
    const messages = renderView(view);
    expect(messages).toHaveLength(1);
    expectWithinLimits(messages);
  });

  it('puts a link in a button with its URL', () => {
    const m = renderView(views.find(([n]) => n === 'link')![1])[0]!;
    expect(actionsOf(m)[0]?.elements[0]).toMatchObject({ type: 'button', url: 'https://guard.example.com/xero/connect?t=abc', text: { text: 'Reconnect Demo Company (NZ)' }, style: 'primary' });
  });

  it('tells how many summary rows it could not show', () => {
    const base = views[0]![1] as SummaryView;
    // More rows than one message holds (a summary never has more than 100; `more` is a safety net).
    const m = renderView({ ...base, rows: base.rows.map((r) => ({ ...r, tenantName: `${r.tenantName} Holdings International Limited` })) })[0]!;
    expect(allText(m)).toMatch(/…and \d+ more/);
    expectWithinLimits([m]);
  });
});

describe('the Block Kit limit checker', () => {
  it('catches what Slack would refuse', () => {
    const tooMany: SlackMessage = { text: 'x', blocks: Array.from({ length: LIMITS.blocksPerMessage + 1 }, () => ({ type: 'divider' as const })) };
    expect(checkMessage(tooMany).map((v) => v.problem)).toContain('51 blocks (max 50)');
    const longButton: SlackMessage = { text: 'x', blocks: [{ type: 'actions', elements: [{ type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'b'.repeat(76) } }] }] };
    expect(checkMessage(longButton)).toHaveLength(1);
    const longSection: SlackMessage = { text: 'x', blocks: [{ type: 'section', text: { type: 'mrkdwn', text: 's'.repeat(3_001) } }] };
    expect(checkMessage(longSection)).toHaveLength(1);
    const elevenFields: SlackMessage = { text: 'x', blocks: [{ type: 'section', fields: Array.from({ length: 11 }, () => ({ type: 'mrkdwn' as const, text: 'f' })) }] };
    expect(checkMessage(elevenFields)).toHaveLength(1);
    const longHeader: SlackMessage = { text: 'x', blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }] };
    expect(checkMessage(longHeader)).toHaveLength(1);
    const dupIds: SlackMessage = { text: 'x', blocks: [{ type: 'divider', block_id: 'a' }, { type: 'divider', block_id: 'a' }] };
    expect(checkMessage(dupIds)).toHaveLength(1);
  });
});
