// Granular scopes (Xero, from 2 March 2026): a connection whose granted scopes lack one Xero Guard
// needs is broken for `permission_missing`, named in plain words on the alert and in /xero status on
// Slack and Teams alike, found from the token response's `scope` without asking the tenant, and the
// reconnect's consent asks for it. A grant stored before scopes were kept (none stored) is not flagged.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { renderView } from '../../src/adapters/slack/render.ts';
import { renderCard } from '../../src/adapters/teams/cards/render.ts';
import type { XeroAdapter } from '../../src/adapters/xero/index.ts';
import type { View } from '../../src/domain/views/model.ts';
import { SEEDED_CONNECTOR, startEngineWithChat, type Engine } from '../support/engine-with-chat.ts';

const MISSING = "reading the organisation's settings";

let e: Engine;

beforeEach(async () => {
  e = await startEngineWithChat({ checkIntervalMs: 60_000 });
});

afterEach(async () => {
  await e.close();
});

describe('a granted scope missing (real Xero adapter via nock; Slack and Teams through their fakes)', () => {
  it('names the missing permission on the alert and in /xero status, asks no tenant for it, and the reconnect consent asks for it', async () => {
    // A granular-scope consent without accounting.settings(.read): the token response says so.
    e.fake.grantedScopes.set('user-granular', 'openid profile email offline_access accounting.invoices.read accounting.contacts.read');
    const granular = await e.seed('user-granular', 'Granular Ltd');
    // Consented before Xero Guard kept scopes: nothing stored, so nothing known and nothing flagged.
    const legacy = await e.seed('user-legacy', 'Legacy Ltd', { fresh: true });
    await e.run(5);

    const grant = await e.h.store.db.grant.findUniqueOrThrow({ where: { id: granular.grantId } });
    expect(grant.scopes).toBe('openid profile email offline_access accounting.invoices.read accounting.contacts.read');
    expect((await e.h.store.db.grant.findUniqueOrThrow({ where: { id: legacy.grantId } })).scopes).toBe('');
    const incidents = await e.h.store.db.incident.findMany({ include: { connection: true } });
    expect(incidents.map((i) => [i.connection.tenantName, i.cause, i.missingScopes])).toEqual([['Granular Ltd', 'permission_missing', 'accounting.settings.read']]);
    expect((await e.h.store.connections.get(legacy.connectionIds[0]!))!.state).toBe('connected');
    // The scopes told it: the tenant itself was not asked.
    const tenant = (await e.h.store.connections.get(granular.connectionIds[0]!))!.tenantId;
    expect(e.fake.apiCalls.filter((c) => c.route === 'organisation' && c.tenantId === tenant)).toHaveLength(0);
    expect(await e.h.store.db.connectionLog.count({ where: { connectionId: granular.connectionIds[0]!, kind: 'check', operation: 'scopes', cause: 'permission_missing' } })).toBe(1);

    for (const channel of [e.slackChannel(), e.teamsChannel()]) {
      expect(channel.top).toHaveLength(1);
      expect(channel.top[0]).toContain('Granular Ltd');
      expect(channel.top[0]).toContain(`A permission is missing: ${MISSING}`);
      expect(channel.top[0]).toContain(`including ${MISSING}`);
      // Plain words: never the scope's code.
      expect(channel.top[0]).not.toContain('accounting.settings');
    }

    const status = await e.h.handlers.runCommand({ platform: 'slack', userId: 'U_ADMIN' }, 'status', { platform: 'slack', channelId: 'C0ALERTS1', responseUrl: 'http://127.0.0.1:1/respond' });
    expect(status.ok).toBe(true);
    const reply = (status as { value: { reply: View } }).value.reply;
    expect(JSON.stringify(renderView(reply))).toContain(`A permission is missing: ${MISSING}`);
    expect(JSON.stringify(renderCard(reply))).toContain(`A permission is missing: ${MISSING}`);

    // The connector's reconnect link leads to a consent that asks for the missing scope.
    expect(e.slack.calls('conversations.open').map((c) => c.args.users)).toEqual([SEEDED_CONNECTOR]);
    const adapter = e.h.deps.xero as XeroAdapter;
    const consent = await adapter.gateway.consentUrl({ state: 's', nonce: 'n', codeVerifier: 'v'.repeat(43) });
    expect(consent.ok).toBe(true);
    const scopes = new URL((consent as { value: string }).value).searchParams.get('scope')!.split(' ');
    expect(scopes).toContain('accounting.settings.read');
  });
});
