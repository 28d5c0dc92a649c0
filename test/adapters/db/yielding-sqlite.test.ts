// SQLite answers synchronously; without care a run of queries holds the event loop and the HTTP
// requests waiting in it (Slack's acks) until the whole run is over.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';

describe('queries on SQLite', () => {
  let database: TestDatabase;
  beforeAll(async () => {
    database = await createTestDatabase('sqlite');
  });
  afterAll(() => database.drop());

  /** Runs `queries` one after another; returns how many had finished when a callback queued at the start ran. */
  async function finishedBeforeCallback(run: (i: number) => Promise<unknown>, queries: number): Promise<number> {
    let finished = 0;
    let seenAt = -1;
    setImmediate(() => (seenAt = finished));
    for (let i = 0; i < queries; i += 1) {
      await run(i);
      finished += 1;
    }
    return seenAt;
  }

  it('step back into the event loop between queries, so waiting requests are served in between', async () => {
    const seenAt = await finishedBeforeCallback(() => database.db.connection.count(), 20);
    expect(seenAt).toBeGreaterThanOrEqual(0);
    expect(seenAt).toBeLessThan(3);
  });

});
