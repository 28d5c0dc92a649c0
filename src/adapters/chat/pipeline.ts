// One runner for what every chat request needs, Slack's and Teams' alike (as Bolt's receivers hand
// one neutral event to one processor, and probot gives each event one context with its own logger):
//
//   1. dedupe      a platform retry or redelivery of a request already taken runs nothing again
//   2. queue       work after the ack waits behind one bound per process (../http/after-ack.ts)
//   3. context     the request's id and its own logger go into the handler's context
//   4. timeout     a handler that does not settle in time is answered with the fallback
//   5. fallback    a handler that throws is answered with the same sentence on both platforms
//   6. account     one log line and one metric per request, with the same names on both platforms
//
// The platform adapters only translate: their payload in (actor, text or click, where it happened),
// the HandlerResult's views out. Nothing here knows Bolt or botbuilder.
import type { Logger } from 'pino';
import type { Platform } from '../../domain/permissions.ts';
import type { TextView } from '../../domain/views/model.ts';
import { textView } from '../../domain/views/text.ts';
import { LABELS } from '../../domain/views/wording.ts';
import type { CommandContext, HandlerCall, HandlerResult } from '../../handlers/types.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createAfterAck, type AfterAck } from '../http/after-ack.ts';
import { createRecentKeys, type RecentKeys } from '../http/recent-keys.ts';

/**
 * How long a handler may run before the asker gets the fallback answer. Longer than the slowest
 * honest path (a token refresh and a probe, each bounded by XERO_TIMEOUT, behind a double click's
 * wait), short enough that a hung handler is answered within a minute and frees its queue slot.
 */
export const HANDLER_TIMEOUT_MS = 60_000;

export type RequestKind = 'command' | 'click' | 'event' | 'install';

/** Why a request ended as it did: `ok`, a handler refusal's code, or what the pipeline decided. */
export type RequestOutcome = 'ok' | 'threw' | 'timed_out' | 'duplicate' | 'malformed' | (string & {});

/** One request: its kind, its identity (the same on a platform retry), short facts for its log line. */
export type ChatRequest = { kind: RequestKind; requestId: string; facts?: Record<string, unknown> };

/** Where a request came from; the pipeline adds the request's id and logger. */
export type Where = Omit<CommandContext, 'requestId' | 'log'>;


/** The asker's answer after the ack (Slack response_url, Teams reply in the conversation). */
export type Answer = (result: HandlerResult, log: Logger) => Promise<void>;

export type ChatPipelineOptions = {
  platform: Platform;
  logger: Logger;
  /** Counts requests by kind and outcome (xero_guard_chat_*); optional for tests. */
  metrics?: Pick<Metrics, 'counter' | 'histogram'>;
  /** Shared by both platforms in the service: one bound per process. */
  afterAck?: AfterAck;
  /** Default HANDLER_TIMEOUT_MS; tests shorten it. */
  handlerTimeoutMs?: number;
  /** What was already taken (default: in memory, 15 minutes). */
  seen?: RecentKeys;
};

export type ChatPipeline = {
  platform: Platform;
  /** The platform's logger, for lines that belong to no single request. */
  log: Logger;
  /**
   * The first delivery of `key` runs `work`; a retry or redelivery of it runs nothing, is logged
   * and counted, and gets the first one's promise while that is still running (a Teams invoke
   * redelivered while the first is answered gets the same answer). No key: always first.
   */
  once<T>(key: string | undefined, kind: RequestKind | 'unknown', work: () => Promise<T>, facts?: Record<string, unknown>): { first: true; done: Promise<T> } | { first: false; running?: Promise<T> };
  /** Runs one handler call now (an answer that goes into the HTTP response). Never throws. */
  run(request: ChatRequest, where: Where, invoke: HandlerCall): Promise<HandlerResult>;
  /** Runs one handler call after the ack, queued behind the bound, then its answer in the same slot. */
  later(request: ChatRequest, where: Where, invoke: HandlerCall, answer: Answer): Promise<void>;
  /** A request that ends before any handler (an event, an install, a refusal by the adapter). */
  count(kind: RequestKind | 'unknown', outcome: RequestOutcome): void;
  /** A correctly signed body the platform never sends: logged and counted; the guard answers 400. */
  malformed(problem: string): void;
  /** Keeps work visible to idle(), so a shutdown lets it finish. */
  track<T>(work: Promise<T>): Promise<T>;
  /** Resolves when the work started so far has settled, or after `maxMs`. */
  idle(maxMs?: number): Promise<void>;
};

/** The sentence a request gets when its handler throws or hangs: the same on both platforms. */
export const FALLBACK_VIEW: TextView = textView(LABELS.fallbackError, 'danger');
export const SLOW_VIEW: TextView = textView(LABELS.slowError, 'warning');
export const FALLBACK_RESULT: HandlerResult = { ok: false, error: { code: 'internal', reply: FALLBACK_VIEW } };
const SLOW_RESULT: HandlerResult = { ok: false, error: { code: 'internal', reply: SLOW_VIEW } };

export function createChatPipeline(options: ChatPipelineOptions): ChatPipeline {
  const log = options.logger.child({ platform: options.platform });
  const afterAck = options.afterAck ?? createAfterAck();
  const seen = options.seen ?? createRecentKeys();
  const timeoutMs = options.handlerTimeoutMs ?? HANDLER_TIMEOUT_MS;
  const requests = options.metrics?.counter('chat_requests_total', 'Slack and Teams commands, clicks, events and installs by outcome', ['platform', 'kind', 'outcome']);
  const duration = options.metrics?.histogram('chat_request_duration_seconds', 'Time a command or click spent in its handler', ['platform', 'kind'], [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3, 5, 15, 60]);
  const running = new Map<string, Promise<unknown>>();
  const inflight = new Set<Promise<unknown>>();

  const count = (kind: RequestKind | 'unknown', outcome: RequestOutcome) => requests?.inc({ platform: options.platform, kind, outcome });

  const track = <T>(work: Promise<T>): Promise<T> => {
    inflight.add(work);
    // The failure itself surfaces where the work is awaited; this only forgets the promise.
    void work.finally(() => inflight.delete(work)).catch(() => undefined);
    return work;
  };

  async function run(request: ChatRequest, where: Where, invoke: HandlerCall, requestLog: Logger = log.child({ requestId: request.requestId })): Promise<HandlerResult> {
    const started = Date.now();
    const facts = { kind: request.kind, ...request.facts };
    const context: CommandContext = { ...where, requestId: request.requestId, log: requestLog };
    // A synchronous throw becomes a rejection, handled like any other.
    const work = Promise.resolve().then(() => invoke(context));
    const settled = await settleWithin(work, timeoutMs);
    const ms = Date.now() - started;
    duration?.observe({ platform: options.platform, kind: request.kind }, ms / 1000);
    if (settled.state === 'timed_out') {
      requestLog.error({ ...facts, timeoutMs }, 'chat handler timed out');
      count(request.kind, 'timed_out');
      // Its effects still land (the outbox edits messages); only its private answer is dropped.
      work.then(
        (late) => requestLog.warn({ ...facts, outcome: late.ok ? 'ok' : late.error.code, ms: Date.now() - started }, 'chat handler finished after its timeout'),
        (error: unknown) => requestLog.error({ ...facts, err: error }, 'chat handler threw after its timeout'),
      );
      return SLOW_RESULT;
    }
    if (settled.state === 'threw') {
      requestLog.error({ ...facts, err: settled.error, ms }, 'chat handler threw');
      count(request.kind, 'threw');
      return FALLBACK_RESULT;
    }
    const result = settled.result;
    count(request.kind, result.ok ? 'ok' : result.error.code);
    if (result.ok) requestLog.info({ ...facts, outcome: 'ok', reply: result.value.reply?.type, queued: result.value.queued, ms }, 'chat request handled');
    else requestLog.info({ ...facts, outcome: result.error.code, reason: result.error.reason, ms }, 'chat request refused');
    return result;
  }

  return {
    platform: options.platform,
    log,
    once<T>(key: string | undefined, kind: RequestKind | 'unknown', work: () => Promise<T>, facts?: Record<string, unknown>) {
      if (key !== undefined && !seen.firstTime(key)) {
        log.info({ kind, key, ...facts }, 'chat request repeated, ignored');
        count(kind, 'duplicate');
        return { first: false as const, running: running.get(key) as Promise<T> | undefined };
      }
      const done = work();
      if (key !== undefined) {
        running.set(key, done);
        void done.finally(() => running.delete(key)).catch(() => undefined); // awaited by the caller
      }
      return { first: true as const, done };
    },
    run: (request, where, invoke) => run(request, where, invoke),
    later(request, where, invoke, answer) {
      return track(
        afterAck(async () => {
          const requestLog = log.child({ requestId: request.requestId });
          const result = await run(request, where, invoke, requestLog);
          try {
            await answer(result, requestLog);
          } catch (error) {
            // The answer's own delivery failed (the sender retries what it can): the asker may
            // not hear back, so it is logged where it happened, with the request's id.
            requestLog.error({ kind: request.kind, err: error }, 'chat answer failed');
          }
        }),
      );
    },
    count,
    malformed(problem) {
      log.warn({ problem }, 'chat request refused: malformed body');
      count('unknown', 'malformed');
    },
    track,
    async idle(maxMs) {
      const deadline = maxMs === undefined ? undefined : Date.now() + maxMs;
      while (inflight.size > 0) {
        const pending = Promise.allSettled([...inflight]);
        if (deadline === undefined) await pending;
        else {
          const left = deadline - Date.now();
          if (left <= 0) return;
          await Promise.race([pending, new Promise((resolve) => setTimeout(resolve, left).unref())]);
        }
      }
    },
  };
}

type Settled<T> = { state: 'done'; result: T } | { state: 'threw'; error: unknown } | { state: 'timed_out' };

async function settleWithin<T>(work: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<Settled<T>>((resolve) => {
    timer = setTimeout(() => resolve({ state: 'timed_out' }), ms);
  });
  try {
    return await Promise.race([work.then((result): Settled<T> => ({ state: 'done', result }), (error: unknown): Settled<T> => ({ state: 'threw', error })), timeout]);
  } finally {
    clearTimeout(timer);
  }
}
