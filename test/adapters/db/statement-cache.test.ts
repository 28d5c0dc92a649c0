// Prepared statements are reused across queries of the same shape: the rows must be those of each
// call's own arguments, and Prisma's queries, transactions and errors must behave as before (every
// other test on SQLite runs through the cache too: src/adapters/db/client.ts installs it).
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { PrismaBetterSQLite3 } from '@prisma/adapter-better-sqlite3';
import { describe, expect, it } from 'vitest';
import { cacheStatements, cachingStatementsFactory } from '../../../src/adapters/db/statement-cache.ts';

describe('the statement cache', () => {
  it('prepares a query shape once and binds each call anew', () => {
    const db = new Database(':memory:');
    db.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    const cache = cacheStatements(db, 2);
    const insert = 'INSERT INTO t (id, name) VALUES (?, ?)';
    db.prepare(insert).bind([1, 'one']).run();
    db.prepare(insert).bind([2, 'two']).run();
    const select = db.prepare('SELECT name FROM t WHERE id = ?');
    expect(select.bind([2]).raw().all()).toEqual([['two']]);
    expect(db.prepare('SELECT name FROM t WHERE id = ?').bind([1]).raw().all()).toEqual([['one']]);
    expect(select.bind([1]).reader).toBe(true);
    expect(db.prepare(insert).bind([3, 'three']).reader).toBe(false);
    expect(cache.prepared()).toBe(2);

    // Least recently used out: a third shape pushes the select out (the insert was used since).
    expect(db.prepare('SELECT count(*) FROM t').bind([]).raw().all()).toEqual([[2]]);
    db.prepare(insert).bind([3, 'three']).run();
    expect(cache.prepared()).toBe(3);
    expect(db.prepare('SELECT name FROM t WHERE id = ?').bind([3]).raw().all()).toEqual([['three']]);
    expect(cache.prepared()).toBe(4);
  });

  it('passes a bad statement’s error through and caches nothing for it', () => {
    const db = new Database(':memory:');
    const cache = cacheStatements(db);
    expect(() => db.prepare('SELECT FROM nowhere')).toThrow(/syntax error/);
    expect(cache.prepared()).toBe(0);
  });

  it('serves Prisma’s own adapter: reads, writes, a rolled-back transaction', async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'xg-stmt-')), 'x.db');
    const adapter = await cachingStatementsFactory(new PrismaBetterSQLite3({ url: file })).connect();
    await adapter.executeScript('CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT)');
    const insert = (id: number, name: string) => ({ sql: 'INSERT INTO t (id, name) VALUES (?, ?)', args: [id, name], argTypes: ['Int32', 'Text'] as const });
    expect(await adapter.executeRaw(insert(1, 'one') as never)).toBe(1);
    expect(await adapter.executeRaw(insert(2, 'two') as never)).toBe(1);
    const byId = (id: number) => adapter.queryRaw({ sql: 'SELECT name FROM t WHERE id = ?', args: [id], argTypes: ['Int32'] } as never);
    expect((await byId(1)).rows).toEqual([['one']]);
    expect((await byId(2)).rows).toEqual([['two']]);

    const tx = await adapter.startTransaction();
    await tx.executeRaw(insert(3, 'three') as never);
    await tx.executeRaw({ sql: 'ROLLBACK', args: [], argTypes: [] } as never);
    await tx.rollback();
    expect((await byId(3)).rows).toEqual([]);
    await expect(adapter.executeRaw(insert(1, 'again') as never)).rejects.toThrow();
    await adapter.dispose();
  });
});
