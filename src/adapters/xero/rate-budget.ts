// Xero's call budgets (DESIGN.md section 4, reference/xero-facts.md 3): per tenant 60 per minute,
// 5 at once and 5,000 per day; app-wide 10,000 per minute. Counted here before each call, corrected
// from the X-*Limit-Remaining headers after it (Xero's count wins when it is higher: earlier runs
// or other apps on the same credentials spent some), and paused on a 429 for Retry-After. The
// app-wide minute is one for every replica: with a SharedAppWindow (PostgreSQL) each replica
// reserves blocks of calls, one whole second at a time, from a counter in the database and spends
// them here; alone (SQLite, one process) the count stays in memory. Tenant budgets stay per
// process: a check spends one call of its tenant per interval, far inside them.
import { err, ok, type Result } from '../../domain/result.ts';

export type BudgetLimits = {
  tenantPerMinute: number;
  tenantConcurrent: number;
  tenantPerDay: number;
  appPerMinute: number;
};

export const XERO_LIMITS: BudgetLimits = {
  tenantPerMinute: 60,
  tenantConcurrent: 5,
  tenantPerDay: 5_000,
  // 90% of Xero's 10,000: the quality bar (DESIGN.md section 9) leaves headroom for drift
  // between what we count and what Xero counts.
  appPerMinute: 9_000,
};

export type BudgetRefusal = { limit: 'tenant_minute' | 'tenant_day' | 'tenant_concurrent' | 'app_minute' | 'blocked'; retryAfterMs: number };
type Refusal = BudgetRefusal | { limit: 'app_reserve'; retryAfterMs: 0 };

/** A request for calls of the second `second` (Unix seconds) under `limit` over the window. */
export type WindowReservation = {
  second: number;
  want: number;
  limit: number;
  /** Calls reserved for an earlier second and not made: returned to the window first. */
  giveBack?: { second: number; calls: number };
};

/** Xero's app-wide minute as every replica sees it (src/adapters/db/app-budget.ts). */
export interface SharedAppWindow {
  /** Takes up to `want` calls, as many as the window has room for; `used` is the window's count after. */
  reserve(request: WindowReservation): Promise<{ granted: number; used: number }>;
  /** Xero counted more than the window holds: raise the count to `target`; returns the count after. */
  raise(second: number, target: number): Promise<number>;
}
export type Release = () => void;

const MINUTE = 60_000;
const DAY = 24 * 60 * MINUTE;

/**
 * Counts per second over the last minute: constant memory however busy the app is. Whole seconds
 * make the window coarse, so it spans 61 of them: a call leaves the count only once at least a full
 * minute has passed, and no 60-second span (Xero's windows start whenever they like) ever holds
 * more than the limit.
 */
class MinuteWindow {
  private static readonly SPAN = 61;
  private readonly buckets = new Array<number>(MinuteWindow.SPAN).fill(0);
  private readonly stamps = new Array<number>(MinuteWindow.SPAN).fill(-1);

  count(now: number): number {
    const second = Math.floor(now / 1000);
    let total = 0;
    for (let i = 0; i < MinuteWindow.SPAN; i++) if (this.stamps[i]! > second - MinuteWindow.SPAN) total += this.buckets[i]!;
    return total;
  }

  add(now: number, n = 1): void {
    const second = Math.floor(now / 1000);
    const i = second % MinuteWindow.SPAN;
    if (this.stamps[i] !== second) {
      this.stamps[i] = second;
      this.buckets[i] = 0;
    }
    this.buckets[i]! += n;
  }

  /** How long until the count drops below `limit`. */
  waitFor(now: number, limit: number): number {
    const span = MinuteWindow.SPAN;
    const second = Math.floor(now / 1000);
    let total = this.count(now);
    if (total < limit) return 0;
    for (let age = span - 1; age >= 0; age--) {
      const s = second - age;
      const i = ((s % span) + span) % span;
      if (this.stamps[i] === s) total -= this.buckets[i]!;
      if (total < limit) return (s + span) * 1000 - now;
    }
    return MINUTE + 1_000;
  }
}

/**
 * One tenant's calls of the last minute, counted the same way as MinuteWindow but kept as a few
 * (second, calls) pairs: a replica tracks every tenant it checked for a day (the daily limit), and
 * at 100,000 tenants 61 buckets each held about 100 MB of heap, which the collector then walked
 * over and over. A tenant is asked a call or two per check, so its list stays short.
 */
class RecentCalls {
  private static readonly SPAN = 61;
  private readonly seconds: number[] = [];
  private readonly calls: number[] = [];

  count(now: number): number {
    const oldest = Math.floor(now / 1000) - RecentCalls.SPAN;
    let total = 0;
    for (let i = 0; i < this.seconds.length; i++) if (this.seconds[i]! > oldest) total += this.calls[i]!;
    return total;
  }

  add(now: number, n = 1): void {
    const second = Math.floor(now / 1000);
    let stale = 0;
    while (stale < this.seconds.length && this.seconds[stale]! <= second - RecentCalls.SPAN) stale++;
    if (stale > 0) {
      this.seconds.splice(0, stale);
      this.calls.splice(0, stale);
    }
    const last = this.seconds.length - 1;
    if (last >= 0 && this.seconds[last] === second) this.calls[last]! += n;
    else {
      this.seconds.push(second);
      this.calls.push(n);
    }
  }

  /** How long until the count drops below `limit`. */
  waitFor(now: number, limit: number): number {
    const oldest = Math.floor(now / 1000) - RecentCalls.SPAN;
    let total = this.count(now);
    if (total < limit) return 0;
    for (let i = 0; i < this.seconds.length; i++) {
      if (this.seconds[i]! <= oldest) continue;
      total -= this.calls[i]!;
      if (total < limit) return (this.seconds[i]! + RecentCalls.SPAN) * 1000 - now;
    }
    return MINUTE + 1_000;
  }
}

type TenantState = {
  minute: RecentCalls;
  inFlight: number;
  dayStart: number;
  dayUsed: number;
  blockedUntil: number;
  waiters: (() => void)[];
  lastUsed: number;
};

export type RateBudgetOptions = {
  limits?: Partial<BudgetLimits>;
  now?: () => number;
  /** The app-wide window shared with other replicas; without it this process counts alone. */
  shared?: SharedAppWindow;
  /** Where a failed reservation is reported (the call then waits and tries again). */
  onSharedError?: (error: unknown) => void;
};

/** The most calls one reservation takes: what a replica may leave unused for a second at worst. */
const MAX_BLOCK = 100;

export class RateBudget {
  readonly limits: BudgetLimits;
  private readonly now: () => number;
  private readonly tenants = new Map<string, TenantState>();
  private readonly app = new MinuteWindow();
  private appBlockedUntil = 0;
  private readonly shared: SharedAppWindow | undefined;
  private readonly onSharedError: (error: unknown) => void;
  /** Calls reserved from the shared window, usable during `second` only (so they count where they are spent). */
  private reserved = { second: -1, left: 0 };
  /** The shared window's count as last read, and when (ms). */
  private sharedView = { used: 0, at: -Infinity };
  /** No room in the shared window until this time (ms): do not ask the database again before. */
  private sharedFullUntil = 0;
  private reserving: Promise<void> | undefined;
  private waitingForBlock = 0;
  /** Calls made in the current and the previous second: the size of the next block. */
  private spent = { second: -1, calls: 0, previous: 0 };
  private lastRaiseSecond = -1;
  private lastSweep = -Infinity;

  constructor(options: RateBudgetOptions = {}) {
    this.limits = { ...XERO_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
    this.shared = options.shared;
    this.onSharedError = options.onSharedError ?? (() => undefined);
  }

  /**
   * Takes one call from the tenant's budget (or only the app's, for tenantless calls such as
   * GET /connections). Waits up to `maxWaitMs`; past that it refuses with how long to wait.
   */
  async acquire(tenantId: string | null, maxWaitMs: number): Promise<Result<Release, BudgetRefusal>> {
    const started = this.now();
    for (;;) {
      const refusal = this.check(tenantId);
      if (!refusal) return ok(this.take(tenantId));
      if (refusal.limit === 'app_reserve') {
        this.waitingForBlock += 1;
        await this.reserveBlock().finally(() => (this.waitingForBlock -= 1));
        continue;
      }
      const waited = this.now() - started;
      if (waited + refusal.retryAfterMs > maxWaitMs) return err(refusal);
      if (refusal.limit === 'tenant_concurrent' && tenantId) await this.nextRelease(tenantId, refusal.retryAfterMs);
      else await sleep(Math.max(refusal.retryAfterMs, 5));
    }
  }

  /** Corrects our counts from Xero's headers after any answer (success or error). */
  observe(tenantId: string | null, headers: Record<string, string | undefined>): void {
    const now = this.now();
    const appLeft = num(headers['x-appminlimit-remaining']);
    if (appLeft !== undefined) {
      const xeroUsed = 10_000 - appLeft;
      // Scaled to our own (lower) app limit: Xero's 10,000 maps onto limits.appPerMinute.
      const target = Math.ceil((xeroUsed * this.limits.appPerMinute) / 10_000);
      if (this.shared) this.raiseShared(now, target);
      else {
        const ours = this.app.count(now);
        if (target > ours) this.app.add(now, target - ours);
      }
    }
    if (!tenantId) return;
    const tenant = this.tenant(tenantId);
    const minuteLeft = num(headers['x-minlimit-remaining']);
    if (minuteLeft !== undefined) {
      const used = this.limits.tenantPerMinute - minuteLeft;
      const ours = tenant.minute.count(now);
      if (used > ours) tenant.minute.add(now, used - ours);
    }
    const dayLeft = num(headers['x-daylimit-remaining']);
    if (dayLeft !== undefined) tenant.dayUsed = Math.max(tenant.dayUsed, this.limits.tenantPerDay - dayLeft);
  }

  /** A 429: stop calling the tenant (or the app) until Retry-After has passed. */
  block(tenantId: string | null, problem: string | undefined, retryAfterMs: number | undefined): number {
    const now = this.now();
    // Xero sends Retry-After only for the minute and day limits; the concurrent and app limits
    // come without one, so back off briefly and let the counts catch up.
    const wait = retryAfterMs ?? (problem === 'concurrent' ? 1_000 : 5_000);
    const appWide = problem !== undefined && /app/.test(problem);
    if (appWide || !tenantId) this.appBlockedUntil = Math.max(this.appBlockedUntil, now + wait);
    else this.tenant(tenantId).blockedUntil = Math.max(this.tenant(tenantId).blockedUntil, now + wait);
    return wait;
  }

  snapshot(tenantId: string): { minute: number; inFlight: number; day: number; blockedForMs: number } {
    const now = this.now();
    const t = this.tenant(tenantId);
    return { minute: t.minute.count(now), inFlight: t.inFlight, day: this.dayUsed(t, now), blockedForMs: Math.max(0, t.blockedUntil - now) };
  }

  /** Tenants whose counts are kept (those idle for a day are dropped). */
  trackedTenants(): number {
    return this.tenants.size;
  }

  appCount(): number {
    return this.app.count(this.now());
  }

  /** The share of the app-wide minute budget in use (0 to 1; 1 while Xero has us paused). */
  appShareUsed(): number {
    return 1 - Math.min(1, this.appSpare() / this.limits.appPerMinute);
  }

  /**
   * Calls the app-wide budget can still take right now (0 while Xero has us paused). Shared: the
   * window's room as last read (refreshed in the background when older than a second) plus this
   * replica's unspent block; another replica may take that room first, and a call then waits.
   */
  appSpare(): number {
    const now = this.now();
    if (this.appBlockedUntil > now) return 0;
    if (!this.shared) return Math.max(0, this.limits.appPerMinute - this.app.count(now));
    if (now - this.sharedView.at > 1_000 && !this.reserving) void this.reserveBlock(0);
    return Math.max(0, this.limits.appPerMinute - this.sharedView.used) + this.blockLeft(now);
  }

  private check(tenantId: string | null): Refusal | undefined {
    const now = this.now();
    if (this.appBlockedUntil > now) return { limit: 'blocked', retryAfterMs: this.appBlockedUntil - now };
    if (this.shared) {
      if (this.blockLeft(now) === 0) {
        if (this.sharedFullUntil > now) return { limit: 'app_minute', retryAfterMs: this.sharedFullUntil - now };
        return { limit: 'app_reserve', retryAfterMs: 0 };
      }
    } else {
      const appWait = this.app.waitFor(now, this.limits.appPerMinute);
      if (appWait > 0) return { limit: 'app_minute', retryAfterMs: appWait };
    }
    if (!tenantId) return undefined;
    const t = this.tenant(tenantId);
    if (t.blockedUntil > now) return { limit: 'blocked', retryAfterMs: t.blockedUntil - now };
    if (this.dayUsed(t, now) >= this.limits.tenantPerDay) return { limit: 'tenant_day', retryAfterMs: t.dayStart + DAY - now };
    const minuteWait = t.minute.waitFor(now, this.limits.tenantPerMinute);
    if (minuteWait > 0) return { limit: 'tenant_minute', retryAfterMs: minuteWait };
    if (t.inFlight >= this.limits.tenantConcurrent) return { limit: 'tenant_concurrent', retryAfterMs: 50 };
    return undefined;
  }

  private blockLeft(now: number): number {
    return this.reserved.second === Math.floor(now / 1000) ? this.reserved.left : 0;
  }

  /**
   * One reservation at a time per process; callers that need calls meanwhile wait for it. The block
   * covers the callers waiting now or, if more, what this replica spent in the last second (a
   * quarter more, to follow a rising pace); `want` 0 only gives back and reads the window.
   */
  private reserveBlock(want?: number): Promise<void> {
    const shared = this.shared!;
    this.reserving ??= (async () => {
      // Callers arriving in the same turn (a batch of checks just claimed) share one reservation.
      await new Promise((resolve) => setImmediate(resolve));
      const now = this.now();
      const second = Math.floor(now / 1000);
      const stale = this.reserved.second !== second && this.reserved.left > 0 ? { second: this.reserved.second, calls: this.reserved.left } : undefined;
      const recent = this.spent.second === second ? Math.max(this.spent.calls, this.spent.previous) : this.spent.second === second - 1 ? this.spent.calls : 0;
      const size = want ?? Math.min(MAX_BLOCK, Math.max(1, this.waitingForBlock, Math.ceil(recent * 1.25)));
      try {
        const result = await shared.reserve({ second, want: size, limit: this.limits.appPerMinute, ...(stale ? { giveBack: stale } : {}) });
        if (stale) this.reserved = { second: -1, left: 0 };
        if (result.granted > 0) this.reserved = { second, left: (this.reserved.second === second ? this.reserved.left : 0) + result.granted };
        this.sharedView = { used: result.used, at: now };
        // Full: the window frees at the earliest at the next whole second; ask again then.
        if (size > 0 && result.granted === 0) this.sharedFullUntil = (second + 1) * 1000;
      } catch (error) {
        // The database is unreachable: spend nothing (a check that cannot reserve waits, then
        // reports our budget as spent); the next attempt, a second later, asks again.
        this.onSharedError(error);
        this.sharedFullUntil = (second + 1) * 1000;
      }
    })().finally(() => {
      this.reserving = undefined;
    });
    return this.reserving;
  }

  private raiseShared(now: number, target: number): void {
    const second = Math.floor(now / 1000);
    // Xero counts what every replica spent, so its count is usually below ours; only when it is
    // above (and at most once a second) does the shared window need telling.
    if (target <= this.sharedView.used || second === this.lastRaiseSecond) return;
    this.lastRaiseSecond = second;
    this.shared!.raise(second, target).then(
      (used) => {
        this.sharedView = { used, at: now };
      },
      (error: unknown) => this.onSharedError(error),
    );
  }

  private take(tenantId: string | null): Release {
    const now = this.now();
    this.app.add(now);
    if (this.shared) {
      this.reserved.left -= 1;
      const second = Math.floor(now / 1000);
      if (this.spent.second !== second) this.spent = { second, calls: 0, previous: this.spent.second === second - 1 ? this.spent.calls : 0 };
      this.spent.calls += 1;
    }
    if (!tenantId) return () => undefined;
    const t = this.tenant(tenantId);
    t.minute.add(now);
    this.dayUsed(t, now);
    t.dayUsed += 1;
    t.inFlight += 1;
    t.lastUsed = now;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      t.inFlight -= 1;
      t.waiters.shift()?.();
      this.forgetIdle(now);
    };
  }

  private nextRelease(tenantId: string, fallbackMs: number): Promise<void> {
    const t = this.tenant(tenantId);
    return new Promise((resolve) => {
      const timer = setTimeout(resolve, Math.max(fallbackMs, 5));
      t.waiters.push(() => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  private dayUsed(t: TenantState, now: number): number {
    if (now - t.dayStart >= DAY) {
      t.dayStart = now;
      t.dayUsed = 0;
    }
    return t.dayUsed;
  }

  private tenant(tenantId: string): TenantState {
    let t = this.tenants.get(tenantId);
    if (!t) {
      const now = this.now();
      t = { minute: new RecentCalls(), inFlight: 0, dayStart: now, dayUsed: 0, blockedUntil: 0, waiters: [], lastUsed: now };
      this.tenants.set(tenantId, t);
    }
    return t;
  }

  /**
   * Tenants idle for a day hold nothing worth keeping; drop them so memory follows the live set.
   * At most once a minute: a sweep walks every tenant, and at 100,000 of them sweeping on every
   * call cost more CPU than the check itself.
   */
  private forgetIdle(now: number): void {
    if (this.tenants.size < 20_000 || now - this.lastSweep < MINUTE) return;
    this.lastSweep = now;
    for (const [id, t] of this.tenants) if (t.inFlight === 0 && now - t.lastUsed > DAY) this.tenants.delete(id);
  }
}

function num(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  return Number.isFinite(n) ? n : undefined;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
