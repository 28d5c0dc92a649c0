// How a Slack request over HTTP reaches Bolt: its body is read, its signature checked and the body
// parsed exactly once, here, then handed to Bolt's ExpressReceiver (its requestHandler: the ack,
// retries, processEvent) already parsed. A correctly signed body Slack never sends (`payload=null`,
// a click without its user or actions, an event without a type) is answered 400 with a code: Bolt
// would throw on it while building its context and answer 500, which Slack counts as our failure
// and retries, or wait 3 s for a listener that never comes. Unsigned bodies get a bare 401 and
// nothing is revealed about their shape. (Bolt's own body parser parsed every click a second time,
// the message's blocks that Slack sends with it included: the largest share of an ack's own cost.)
import querystring from 'node:querystring';
import express, { type Request, type Response } from 'express';
// Bolt's own check, from its module: the front thread (src/main.ts) verifies every request and
// need not load the rest of Bolt for it.
import { isValidSlackRequest } from '@slack/bolt/dist/receivers/verify-request.js';
import { answerMalformed } from '../chat/malformed.ts';
import { ackBodyOf } from './note-modal.ts';
import { decideTimestamp } from './request-guard.ts';

const BODY_LIMIT = '1mb';
const FORM = 'application/x-www-form-urlencoded';

export type ShapeProblem = 'not_an_object' | 'payload_not_json' | 'not_json' | 'no_type' | 'click_without_user' | 'click_without_actions';

export type Parsed = { ok: true; body: Record<string, any> } | { ok: false; problem: ShapeProblem };

/** Reads a body as Bolt would (a form under exactly this content type, JSON otherwise) and checks its shape. */
export function parseSlackBody(rawBody: string, contentType: string | undefined): Parsed {
  let body: unknown;
  if (contentType === FORM) {
    const form = querystring.parse(rawBody);
    // A slash command or ssl_check: its fields as they are.
    if (typeof form.payload !== 'string') return { ok: true, body: form };
    body = parseJson(form.payload);
    if (body === undefined) return { ok: false, problem: 'payload_not_json' };
  } else {
    body = parseJson(rawBody);
    if (body === undefined) return { ok: false, problem: 'not_json' };
  }
  const problem = shapeProblem(body);
  return problem ? { ok: false, problem } : { ok: true, body: body as Record<string, any> };
}

/** Why Bolt could not take this parsed interaction or event, or undefined when it can. */
export function shapeProblem(body: unknown): ShapeProblem | undefined {
  if (!isObject(body)) return 'not_an_object';
  if (typeof body.type !== 'string') return 'no_type';
  if (body.type === 'block_actions' || body.type === 'view_submission' || body.type === 'shortcut' || body.type === 'message_action') {
    if (!isObject(body.user) || typeof body.user.id !== 'string') return 'click_without_user';
  }
  if (body.type === 'block_actions' && (!Array.isArray(body.actions) || body.actions.length === 0 || !body.actions.every(isObject))) return 'click_without_actions';
  return undefined;
}

/**
 * What a Slack request over HTTP gets, decided before any listener runs: refused (a stale or future
 * timestamp, a bad signature: a bare 401), malformed (400 with a code), answered here (Slack's
 * checks of the request URL), or taken: acknowledged, with the ack's own body where Slack reads
 * one (a modal's field errors), and its parsed body handed on.
 */
export type SlackDecision =
  | { kind: 'refused'; reason: 'timestamp' | 'signature'; detail?: string }
  | { kind: 'malformed'; problem: ShapeProblem }
  | { kind: 'answered'; json?: unknown }
  | { kind: 'take'; body: Record<string, any>; ack?: unknown };

export type SlackHeaders = { 'content-type'?: string | undefined; 'x-slack-signature'?: string | string[] | undefined; 'x-slack-request-timestamp'?: string | string[] | undefined };

export function decideSlackRequest(signingSecret: string, raw: string, headers: SlackHeaders, nowMs: number): SlackDecision {
  const timestamp = first(headers['x-slack-request-timestamp']);
  const time = decideTimestamp(timestamp, nowMs);
  if (!time.ok) return { kind: 'refused', reason: 'timestamp', detail: time.reason };
  if (!signedBySlack(signingSecret, raw, first(headers['x-slack-signature']), timestamp)) return { kind: 'refused', reason: 'signature' };
  const parsed = parseSlackBody(raw, headers['content-type']);
  if (!parsed.ok) return { kind: 'malformed', problem: parsed.problem };
  if (parsed.body.ssl_check) return { kind: 'answered' };
  if (parsed.body.type === 'url_verification') return { kind: 'answered', json: { challenge: parsed.body.challenge } };
  const ack = ackBodyOf(parsed.body);
  return ack === undefined ? { kind: 'take', body: parsed.body } : { kind: 'take', body: parsed.body, ack };
}

/** Answers a decision that ends at the door; a taken request is the caller's to acknowledge. */
export function answerAtTheDoor(decision: Exclude<SlackDecision, { kind: 'take' }>, res: Response): void {
  if (decision.kind === 'refused') res.status(401).send();
  else if (decision.kind === 'malformed') answerMalformed(res, decision.problem);
  else if (decision.json === undefined) res.send();
  else res.json(decision.json);
}

export type IntakeOptions = {
  signingSecret: string;
  /** Bolt's ExpressReceiver.requestHandler: takes the request with req.body parsed. */
  handle(req: Request, res: Response): Promise<void>;
  onRefused?(decision: Extract<SlackDecision, { kind: 'refused' | 'malformed' }>): void;
  now?: () => number;
};

/** Reads a Slack request's body as it came, whatever its content type (the signature covers those bytes). */
export const readSlackBody = () => express.raw({ type: () => true, limit: BODY_LIMIT });

/** The body readSlackBody read, as text. */
export const rawBodyOf = (req: Request): string => (Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '');

/** The express handlers for POST /slack/events, in front of (and instead of) Bolt's body parser. */
export function slackIntake(options: IntakeOptions) {
  const now = options.now ?? Date.now;
  const take = async (req: Request, res: Response) => {
    const raw = rawBodyOf(req);
    const decision = decideSlackRequest(options.signingSecret, raw, req.headers, now());
    if (decision.kind !== 'take') {
      if (decision.kind !== 'answered') options.onRefused?.(decision);
      answerAtTheDoor(decision, res);
      return;
    }
    req.body = decision.body;
    await options.handle(req, res);
  };
  return [readSlackBody(), take];
}

function signedBySlack(signingSecret: string, body: string, signature: string | undefined, timestampHeader: string | undefined): boolean {
  const timestamp = Number(timestampHeader);
  if (signature === undefined || !Number.isFinite(timestamp)) return false;
  return isValidSlackRequest({ signingSecret, body, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp } });
}

function first(header: string | string[] | undefined): string | undefined {
  return Array.isArray(header) ? header[0] : header;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, any> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
