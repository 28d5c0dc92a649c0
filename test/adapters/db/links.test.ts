// The link store's answers the reconnect dedupe relies on: a person "has a live link" for a
// connection only while a link issued to them since the request is neither used nor expired.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createLinks } from '../../../src/adapters/db/links.ts';
import { issueLink, LINK_LIFETIME_MS } from '../../../src/handlers/oauth/issue-link.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.ts';

const ADA = { platform: 'slack' as const, userId: 'U_ADA' };
const BOB = { platform: 'slack' as const, userId: 'U_BOB' };

describe.each(DIALECTS)('link store (%s)', (dialect) => {
  let database: TestDatabase;
  beforeEach(async () => {
    database = await createTestDatabase(dialect);
  });
  afterEach(async () => database.drop());

  it('a live link counts; used, expired, older or someone else\'s do not', async () => {
    const store = createLinks(database.db);
    const [a, b] = await Promise.all(['t-a', 't-b'].map((tenantId) => database.db.connection.create({ data: { tenantId, tenantName: tenantId, connectedByPlatform: 'slack', connectedByUserId: 'U_ADA' } })));
    const now = new Date('2026-12-02T10:00:00Z');
    const clock = { now: () => now };
    const issued = await issueLink({ links: store, clock, publicUrl: 'https://guard.example.com' }, { purpose: 'reconnect', actor: ADA, connectionId: a!.id, connectionIds: [b!.id] });
    expect(issued.ok).toBe(true);
    if (!issued.ok) return;

    expect(await store.hasLiveLink(b!.id, ADA, now, now)).toBe(true);
    expect(await store.hasLiveLink(a!.id, BOB, now, now)).toBe(false);
    // A request made after the link was issued (a minute later) is not answered by it.
    expect(await store.hasLiveLink(a!.id, ADA, new Date(now.getTime() + 60_000), now)).toBe(false);
    expect(await store.hasLiveLink(a!.id, ADA, now, new Date(now.getTime() + LINK_LIFETIME_MS + 1))).toBe(false);
    expect(await store.markUsed(issued.value.linkId, now)).toBe(true);
    expect(await store.markUsed(issued.value.linkId, now)).toBe(false);
    expect(await store.hasLiveLink(a!.id, ADA, now, now)).toBe(false);
  });
});
