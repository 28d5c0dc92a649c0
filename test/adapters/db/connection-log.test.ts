import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createConnectionLog } from '../../../src/adapters/db/connection-log.ts';
import { createTestDatabase, DIALECTS, type TestDatabase } from '../../support/databases.ts';

describe.each(DIALECTS)('connection log on %s', (dialect) => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase(dialect);
    await database.db.connection.create({
      data: { id: 'c1', tenantId: 't1', tenantName: 'Demo Company (NZ)', connectedByPlatform: 'slack', connectedByUserId: 'U1' },
    });
  });
  afterAll(() => database.drop());

  it('keeps every row with its actor and returns the latest failures first', async () => {
    const log = createConnectionLog(database.db);
    await log.append({ connectionId: 'c1', kind: 'check', operation: 'organisation', outcome: 'ok', at: new Date('2026-11-01T10:00:00Z') });
    await log.append({
      connectionId: 'c1', tenantId: 't1', kind: 'check', operation: 'organisation', outcome: 'failure', httpStatus: 403,
      xeroError: 'AuthenticationUnsuccessful', cause: 'access_lost', at: new Date('2026-11-01T10:05:00Z'),
    });
    await log.appendMany([
      { connectionId: 'c1', kind: 'action', operation: 'disconnect', outcome: 'ok', actor: { platform: 'slack', userId: 'U2', name: 'Ana' }, at: new Date('2026-11-01T10:06:00Z') },
      { connectionId: 'c1', kind: 'check', operation: 'refresh', outcome: 'failure', httpStatus: 400, xeroError: 'invalid_grant', cause: 'token_revoked', at: new Date('2026-11-01T10:07:00Z') },
    ]);

    const failures = await log.recentFailures({ connectionId: 'c1', limit: 10 });
    expect(failures.map((f) => [f.operation, f.cause, f.httpStatus])).toEqual([
      ['refresh', 'token_revoked', 400],
      ['organisation', 'access_lost', 403],
    ]);
    const history = await log.history('c1', 10);
    expect(history).toHaveLength(4);
    expect(history[1]).toMatchObject({ kind: 'action', actorPlatform: 'slack', actorId: 'U2', actorName: 'Ana' });
    expect((await log.recentFailures({ limit: 1 })).map((f) => f.operation)).toEqual(['refresh']);
  });
});
