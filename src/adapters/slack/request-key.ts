// Slack retries a request it thinks we missed; its identity, the same on every retry, lets the
// routes drop the retry (the chat pipeline, src/adapters/chat/pipeline.ts, remembers what was taken).
import type { RequestKind } from '../chat/pipeline.ts';
/** The identity of one Slack request, the same on every retry of it. */
export function requestKey(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  const b = body as Record<string, any>;
  if (typeof b.event_id === 'string') return `event:${b.event_id}`;
  if (b.type === 'block_actions' && Array.isArray(b.actions) && b.actions[0]) {
    const a = b.actions[0];
    return `action:${b.user?.id}:${a.action_id}:${a.action_ts}:${b.container?.message_ts ?? ''}`;
  }
  if (typeof b.command === 'string' && typeof b.trigger_id === 'string') return `command:${b.trigger_id}`;
  if (b.type === 'view_submission' && typeof b.view?.id === 'string') return `view:${b.user?.id}:${b.view.id}:${b.view.hash ?? ''}`;
  return undefined;
}

/** What kind of request a key names, for the pipeline's log line and metric. */
export function kindOfKey(key: string | undefined): RequestKind | 'unknown' {
  const tag = key?.split(':')[0];
  if (tag === 'command') return 'command';
  if (tag === 'action' || tag === 'view') return 'click';
  if (tag === 'event') return 'event';
  return 'unknown';
}
