// What the front thread (src/main.ts) and the engine thread (src/engine.ts) say to each other.
import type { RequestRecord } from './adapters/http/server.ts';
import type { SlackDecision } from './adapters/slack/intake.ts';
import type { AckedSlackRequest } from './adapters/slack/surface.ts';

export type ToEngine =
  | { type: 'slack'; request: AckedSlackRequest }
  | { type: 'slack-refused'; decision: Extract<SlackDecision, { kind: 'refused' | 'malformed' }> }
  | { type: 'record'; request: RequestRecord }
  | { type: 'stop' };

export type FromEngine =
  | { type: 'listening'; port: number; slackHttp: boolean }
  | { type: 'started' }
  | { type: 'failed'; message: string }
  | { type: 'stopped' }
  | { type: 'stop-failed'; message: string };

/** The engine's server listens here; only the front thread reaches it. */
export const ENGINE_HOST = '127.0.0.1';
