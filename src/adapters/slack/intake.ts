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
import { isValidSlackRequest } from '@slack/bolt';
import { answerMalformed } from '../chat/malformed.ts';

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

export type IntakeOptions = {
  signingSecret: string;
  /** Bolt's ExpressReceiver.requestHandler: takes the request with req.body parsed. */
  handle(req: Request, res: Response): Promise<void>;
  onUnsigned?(): void;
  onRefused?(problem: ShapeProblem): void;
};

/** The express handlers for POST /slack/events, in front of (and instead of) Bolt's body parser. */
export function slackIntake(options: IntakeOptions) {
  const readBody = express.raw({ type: () => true, limit: BODY_LIMIT });
  const take = async (req: Request, res: Response) => {
    const raw = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    if (!signedBySlack(options.signingSecret, raw, req)) {
      options.onUnsigned?.();
      res.status(401).send();
      return;
    }
    const parsed = parseSlackBody(raw, req.headers['content-type']);
    if (!parsed.ok) {
      options.onRefused?.(parsed.problem);
      answerMalformed(res, parsed.problem);
      return;
    }
    // Slack's checks of the request URL, answered as Bolt answers them.
    if (parsed.body.ssl_check) {
      res.send();
      return;
    }
    if (parsed.body.type === 'url_verification') {
      res.json({ challenge: parsed.body.challenge });
      return;
    }
    req.body = parsed.body;
    await options.handle(req, res);
  };
  return [readBody, take];
}

function signedBySlack(signingSecret: string, body: string, req: Request): boolean {
  const signature = req.headers['x-slack-signature'];
  const timestamp = Number(req.headers['x-slack-request-timestamp']);
  if (typeof signature !== 'string' || !Number.isFinite(timestamp)) return false;
  return isValidSlackRequest({ signingSecret, body, headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp } });
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
