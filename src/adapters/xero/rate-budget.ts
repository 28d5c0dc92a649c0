// Xero's call budgets (DESIGN.md section 4, reference/xero-facts.md 3): per tenant 60 per minute,
// 5 at once and 5,000 per day; app-wide 10,000 per minute. Counted here before each call, corrected
// from the X-*Limit-Remaining headers after it (Xero's count wins when it is higher: other replicas
// or earlier runs spent some), and paused on a 429 for Retry-After. In-process: each replica keeps
// its own view and the headers keep the views honest.
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

type TenantState = {
  minute: MinuteWindow;
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
};

export class RateBudget {
  readonly limits: BudgetLimits;
  private readonly now: () => number;
  private readonly tenants = new Map<string, TenantState>();
  private readonly app = new MinuteWindow();
  private appBlockedUntil = 0;

  constructor(options: RateBudgetOptions = {}) {
    this.limits = { ...XERO_LIMITS, ...options.limits };
    this.now = options.now ?? Date.now;
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
      const ours = this.app.count(now);
      // Scaled to our own (lower) app limit: Xero's 10,000 maps onto limits.appPerMinute.
      const target = Math.ceil((xeroUsed * this.limits.appPerMinute) / 10_000);
      if (target > ours) this.app.add(now, target - ours);
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

  appCount(): number {
    return this.app.count(this.now());
  }

  /** Calls the app-wide budget can still take right now (0 while Xero has us paused). */
  appSpare(): number {
    const now = this.now();
    if (this.appBlockedUntil > now) return 0;
    return Math.max(0, this.limits.appPerMinute - this.app.count(now));
  }

  private check(tenantId: string | null): BudgetRefusal | undefined {
    const now = this.now();
    if (this.appBlockedUntil > now) return { limit: 'blocked', retryAfterMs: this.appBlockedUntil - now };
    const appWait = this.app.waitFor(now, this.limits.appPerMinute);
    if (appWait > 0) return { limit: 'app_minute', retryAfterMs: appWait };
    if (!tenantId) return undefined;
    const t = this.tenant(tenantId);
    if (t.blockedUntil > now) return { limit: 'blocked', retryAfterMs: t.blockedUntil - now };
    if (this.dayUsed(t, now) >= this.limits.tenantPerDay) return { limit: 'tenant_day', retryAfterMs: t.dayStart + DAY - now };
    const minuteWait = t.minute.waitFor(now, this.limits.tenantPerMinute);
    if (minuteWait > 0) return { limit: 'tenant_minute', retryAfterMs: minuteWait };
    if (t.inFlight >= this.limits.tenantConcurrent) return { limit: 'tenant_concurrent', retryAfterMs: 50 };
    return undefined;
  }

  private take(tenantId: string | null): Release {
    const now = this.now();
    this.app.add(now);
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
      t = { minute: new MinuteWindow(), inFlight: 0, dayStart: now, dayUsed: 0, blockedUntil: 0, waiters: [], lastUsed: now };
      this.tenants.set(tenantId, t);
    }
    return t;
  }

  /** Tenants idle for a day hold nothing worth keeping; drop them so memory follows the live set. */
  private forgetIdle(now: number): void {
    if (this.tenants.size < 20_000) return;
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
