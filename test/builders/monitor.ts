// Builders for monitor tests: a real database (SQLite file or Postgres), the monitor store, a
// fixed clock, a scripted XeroPort (for handler tests; the scenario tests use the real adapter),
// a link issuer, the in-memory notifiers and the real outbox worker.
import pino from 'pino';
import type { Dialect } from '../../src/adapters/db/client.ts';
import { createStore, type DbStore } from '../../src/adapters/db/store.ts';
import type { EventRouting } from '../../src/adapters/db/events.ts';
import { createOutboxWorker, type OutboxWorkerDeps } from '../../src/adapters/outbox/worker.ts';
import { createHandlers, type HandlerDeps, type Handlers } from '../../src/handlers/index.ts';
import type { HandlerSettings } from '../../src/handlers/deps.ts';
import type { CheckCycle, CheckOutcome, CheckTarget, Clock, DisconnectOutcome, GrantKeeper, LinkIssuer, XeroPort } from '../../src/handlers/ports.ts';
import type { Cause } from '../../src/domain/causes.ts';
import type { ChatActor } from '../../src/domain/permissions.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { MemoryNotifier } from '../fakes/memory-notifier.ts';

export const T0 = new Date('2026-11-23T08:00:00.000Z');

export class FixedClock implements Clock {
  constructor(private at: Date = T0) {}
  now(): Date {
    return new Date(this.at.getTime());
  }
  advance(ms: number): Date {
    this.at = new Date(this.at.getTime() + ms);
    return this.now();
  }
  set(at: Date): void {
    this.at = at;
  }
}

export const SETTINGS: HandlerSettings = {
  checkIntervalMs: 5 * 60_000,
  repeatIntervalMs: 24 * 3_600_000,
  transientAlertAfterMs: 15 * 60_000,
  groupWindowMs: 30_000,
  trouble: { share: 0.5, minGrants: 20, windowMs: 5 * 60_000, recheckAfterMs: 10 * 60_000 },
};

export const ADMIN: ChatActor = { platform: 'slack', userId: 'UADMIN', name: 'Ada Admin' };
export const CONNECTOR: ChatActor = { platform: 'slack', userId: 'UCONN', name: 'Connie Connector' };
export const STRANGER: ChatActor = { platform: 'slack', userId: 'USTRANGER', name: 'Sam Stranger' };

/** A XeroPort whose checks answer what the test says, per connection. */
export class ScriptedXero implements XeroPort {
  readonly outcomes = new Map<string, Omit<Extract<CheckOutcome, { ok: false }>, 'connectionId' | 'ok'> | 'ok'>();
  readonly checks: string[] = [];
  readonly disconnects: { connectionId: string; actor: ChatActor }[] = [];
  disconnectOutcome: DisconnectOutcome = { tenantRemoval: 'removed', grantRevocation: 'revoked', tokensErased: true };
  private cycles = 0;

  newCycle(): CheckCycle {
    this.cycles += 1;
    return { id: `cycle-${this.cycles}` };
  }
  /** What the app-wide budget allows; tests lower it to see the scheduler hold back. */
  capacity = Number.POSITIVE_INFINITY;
  checkCapacity(): number {
    return this.capacity;
  }
  /** Runs while Xero "answers": for what other handlers do in the meantime. */
  whileChecking?: (target: CheckTarget) => Promise<void>;
  async probeConnection(target: CheckTarget, _cycle?: CheckCycle): Promise<CheckOutcome> {
    const connectionId = target.id;
    this.checks.push(connectionId);
    await this.whileChecking?.(target);
    const scripted = this.outcomes.get(connectionId) ?? 'ok';
    return scripted === 'ok' ? { ok: true, connectionId } : { ...scripted, ok: false, connectionId };
  }
  async disconnect(connectionId: string, actor: ChatActor): Promise<DisconnectOutcome> {
    this.disconnects.push({ connectionId, actor });
    return this.disconnectOutcome;
  }
  fail(connectionId: string, cause: Extract<CheckOutcome, { ok: false }>['cause'], extra: { httpStatus?: number; xeroError?: string; retryAfterMs?: number } = {}) {
    this.outcomes.set(connectionId, { cause, operation: 'connections', ...extra });
  }
  heal(connectionId: string) {
    this.outcomes.set(connectionId, 'ok');
  }
}

export class RecordingLinks implements LinkIssuer {
  readonly issued: { purpose: string; actor: ChatActor; connectionId?: string; connectionIds?: string[]; incidentId?: string; url: string }[] = [];
  /** Links a test marked used or expired: hasLiveLink says no for them. */
  readonly dead = new Set<string>();
  constructor(private readonly clock: Clock) {}
  async issue(input: { purpose: 'connect' | 'reconnect'; actor: ChatActor; connectionId?: string; connectionIds?: string[]; incidentId?: string }) {
    const url = `https://guard.example/xero/connect?t=link${this.issued.length + 1}`;
    this.issued.push({ ...input, url });
    return { url, expiresAt: new Date(this.clock.now().getTime() + 30 * 60_000) };
  }
  async hasLiveLink(connectionId: string, person: ChatActor, since: Date) {
    void since;
    return this.issued.some(
      (l) => !this.dead.has(l.url) && l.actor.platform === person.platform && l.actor.userId === person.userId && [l.connectionId, ...(l.connectionIds ?? [])].includes(connectionId),
    );
  }
}

/**
 * A GrantKeeper that answers what the test says and writes what the real refresher writes on the
 * grant row (refreshedAt and refreshFailures), so the monitor sees the same database afterwards.
 */
export class RecordingGrantKeeper implements GrantKeeper {
  readonly calls: string[] = [];
  readonly failing = new Map<string, Cause>();
  constructor(
    private readonly store: DbStore,
    private readonly clock: Clock,
  ) {}
  async ensureFresh(grantId: string) {
    this.calls.push(grantId);
    const cause = this.failing.get(grantId);
    if (cause) {
      await this.store.db.grant.update({ where: { id: grantId }, data: { refreshFailures: { increment: 1 } } });
      return { ok: false as const, cause, httpStatus: 400, xeroError: 'invalid_grant' };
    }
    await this.store.db.grant.update({ where: { id: grantId }, data: { refreshedAt: this.clock.now(), refreshFailures: 0 } });
    return { ok: true as const, refreshed: true, reason: 'idle_daily' };
  }
}

export type MonitorHarness = {
  database: TestDatabase;
  store: DbStore;
  clock: FixedClock;
  xero: ScriptedXero;
  links: RecordingLinks;
  /** The default GrantKeeper (unless `build` or `grants` gave another). */
  keeper: RecordingGrantKeeper;
  slack: MemoryNotifier;
  teams: MemoryNotifier;
  deps: HandlerDeps;
  handlers: Handlers;
  worker: ReturnType<typeof createOutboxWorker>;
  close(): Promise<void>;
};

export const silentLog = pino({ level: 'silent' });

export async function createMonitorHarness(
  dialect: Dialect = 'sqlite',
  options: {
    xero?: XeroPort;
    settings?: Partial<HandlerSettings>;
    admins?: HandlerDeps['admins'];
    worker?: Partial<OutboxWorkerDeps>;
    links?: LinkIssuer;
    /** Builds the real Xero side on the test's database (scenario tests). */
    build?: (database: TestDatabase, clock: FixedClock) => { xero: XeroPort; links?: LinkIssuer; grants?: GrantKeeper };
    /** Webhook endpoints whose events the store records. */
    events?: EventRouting;
  } = {},
): Promise<MonitorHarness> {
  const database = await createTestDatabase(dialect);
  const store = createStore(database.db, database.dialect, options.events ? { events: options.events } : {});
  const clock = new FixedClock();
  const xero = new ScriptedXero();
  const links = new RecordingLinks(clock);
  const keeper = new RecordingGrantKeeper(store, clock);
  const built = options.build?.(database, clock);
  const slack = new MemoryNotifier('slack');
  const teams = new MemoryNotifier('teams');
  const deps: HandlerDeps = {
    store,
    xero: built?.xero ?? options.xero ?? xero,
    links: built?.links ?? options.links ?? links,
    grants: built?.grants ?? keeper,
    clock,
    log: silentLog,
    admins: options.admins ?? { slack: [ADMIN.userId], teams: [] },
    settings: { ...SETTINGS, ...options.settings },
    random: () => 0.5,
  };
  const handlers = createHandlers(deps);
  const worker = createOutboxWorker({
    store,
    senders: { slack, teams },
    clock,
    log: silentLog,
    onUnreachable: handlers.onUnreachable,
    random: () => 0.5,
    ...options.worker,
  });
  return { database, store, clock, xero, links, keeper, slack, teams, deps, handlers, worker, close: () => database.drop() };
}

let tenantSeq = 0;

/** A grant holding (placeholder) tokens, last refreshed at `refreshedAt` (T0 unless told). */
export async function aGrant(store: DbStore, overrides: Partial<{ refreshedAt: Date; refreshFailures: number; revokedAt: Date | null; tokens: boolean }> = {}) {
  return store.db.grant.create({
    data: {
      xeroUserId: `xero-user-${Math.random().toString(36).slice(2, 8)}`,
      refreshTokenEnc: overrides.tokens === false ? null : 'v1.test.not-a-real-envelope',
      accessTokenEnc: overrides.tokens === false ? null : 'v1.test.not-a-real-envelope',
      refreshedAt: overrides.refreshedAt ?? T0,
      createdAt: overrides.refreshedAt ?? T0,
      refreshFailures: overrides.refreshFailures ?? 0,
      revokedAt: overrides.revokedAt ?? null,
    },
  });
}

/** A watched connection, connected by CONNECTOR unless told otherwise. */
export async function aConnection(
  store: DbStore,
  overrides: Partial<{ tenantName: string; tenantId: string; state: string; connectedBy: ChatActor; grantId: string | null; nextCheckAt: Date; lastGoodCheckAt: Date | null; alertTargetId: string | null }> = {},
) {
  tenantSeq += 1;
  const by = overrides.connectedBy ?? CONNECTOR;
  return store.db.connection.create({
    data: {
      tenantId: overrides.tenantId ?? `tenant-${tenantSeq}-${Math.random().toString(36).slice(2, 8)}`,
      tenantName: overrides.tenantName ?? `Org ${tenantSeq}`,
      state: overrides.state ?? 'connected',
      stateSince: T0,
      connectedByPlatform: by.platform,
      connectedByUserId: by.userId,
      connectedByName: by.name ?? null,
      grantId: overrides.grantId ?? null,
      nextCheckAt: overrides.nextCheckAt ?? T0,
      lastGoodCheckAt: overrides.lastGoodCheckAt === undefined ? new Date(T0.getTime() - 5 * 60_000) : overrides.lastGoodCheckAt,
      alertTargetId: overrides.alertTargetId ?? null,
    },
  });
}

export async function anAlertChannel(store: DbStore, platform: 'slack' | 'teams' = 'slack', externalId = platform === 'slack' ? 'C-ALERTS' : '19:alerts@thread.tacv2') {
  const { target } = await store.targets.makeAlertChannel({
    platform,
    externalId,
    name: 'alerts',
    ...(platform === 'teams' ? { conversationReference: JSON.stringify({ serviceUrl: 'http://127.0.0.1:1/', conversation: { id: externalId, tenantId: 'tenant-ms' } }) } : {}),
  });
  return target;
}

/** Claims and checks one connection the way the scheduler does. */
export async function checkNowAsScheduler(h: MonitorHarness, connectionId: string) {
  const owner = `test:${Math.random()}`;
  const claimed = await h.store.connections.claim(connectionId, owner, h.clock.now(), 60_000, false);
  if (!claimed) throw new Error(`could not claim ${connectionId}`);
  return h.handlers.recordCheck(connectionId, h.xero.newCycle(), owner);
}

export const slackContext = { platform: 'slack' as const, channelId: 'C-ALERTS', responseUrl: 'http://127.0.0.1:1/respond' };
