// Work that runs after a platform request was acknowledged (a command's answer, a click's effect)
// goes through one limiter per process: the chat pipeline (src/adapters/chat/pipeline.ts) queues
// every Slack and Teams command and click here. Node runs it on the same thread that parses and
// acks new requests: unbounded, a burst of commands fills the event loop and the next acks wait
// behind it (Slack drops answers after 3 s). Bounded, extra work queues instead and acks stay
// prompt; the queued answers still arrive (Slack's response_url stays valid for 30 minutes).
import pLimit from 'p-limit';

export type AfterAck = <T>(work: () => Promise<T>) => Promise<T>;

/** Eight at a time keeps the Xero calls of clicks overlapping while CPU work stays bounded. */
export function createAfterAck(concurrency = 8): AfterAck & { pending(): number } {
  const limit = pLimit(concurrency);
  const run = (<T>(work: () => Promise<T>) => limit(work)) as AfterAck & { pending(): number };
  run.pending = () => limit.pendingCount + limit.activeCount;
  return run;
}
