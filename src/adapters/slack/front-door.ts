// POST /slack/events on the front thread (src/main.ts): the request is checked, parsed and
// acknowledged here, on a thread that does nothing else, and handed to the engine thread, whose
// listeners run it exactly as if Bolt's receiver had taken it (SlackSurface.takeAcked). An ack
// therefore never waits behind a handler, a database query or a garbage collection of the engine.
// Everything an ack can carry is known from the request alone (src/adapters/slack/intake.ts).
import { randomUUID } from 'node:crypto';
import type { Request, Response } from 'express';
import type { RequestRecord } from '../http/server.ts';
import { answerAtTheDoor, decideSlackRequest, rawBodyOf, readSlackBody, type SlackDecision } from './intake.ts';
import type { AckedSlackRequest } from './surface.ts';

export type SlackFrontDoorOptions = {
  signingSecret: string;
  /** Hands an acknowledged request to the engine. */
  take(request: AckedSlackRequest): void;
  /** Tells the engine about a request refused at the door (its log line and metric live there). */
  refused(decision: Extract<SlackDecision, { kind: 'refused' | 'malformed' }>): void;
  /** The request's own log line and metrics, kept by the engine. */
  record(request: RequestRecord): void;
  now?: () => number;
};

export function slackFrontDoor(options: SlackFrontDoorOptions) {
  const now = options.now ?? Date.now;
  const take = (req: Request, res: Response) => {
    const started = process.hrtime.bigint();
    const raw = rawBodyOf(req);
    const decision = decideSlackRequest(options.signingSecret, raw, req.headers, now());
    if (decision.kind !== 'take') {
      if (decision.kind !== 'answered') options.refused(decision);
      answerAtTheDoor(decision, res);
    } else {
      if (decision.ack === undefined) res.send();
      else res.json(decision.ack);
      const retryNum = Number(req.headers['x-slack-retry-num']);
      const retryReason = req.headers['x-slack-retry-reason'];
      options.take({
        raw,
        ...(req.headers['content-type'] ? { contentType: req.headers['content-type'] } : {}),
        ...(Number.isInteger(retryNum) ? { retryNum } : {}),
        ...(typeof retryReason === 'string' ? { retryReason } : {}),
      });
    }
    options.record({
      requestId: (req.headers['x-request-id'] as string | undefined) ?? randomUUID(),
      method: req.method,
      path: req.path,
      status: res.statusCode,
      seconds: Number(process.hrtime.bigint() - started) / 1e9,
      retry: req.headers['x-slack-retry-num'],
    });
  };
  return [readSlackBody(), take];
}
