// A request Slack signed correctly can still carry a body Bolt cannot take (`payload=null`, a
// click without its user): Bolt then throws while building its context and answers 500, which
// Slack counts as our failure and retries. This guard reads the body once (handing it to Bolt as
// `rawBody`, which Bolt reads instead of the stream), and answers such a body 400 before Bolt sees
// it. Unsigned bodies pass on untouched, so Bolt still answers them 401 and nothing is revealed.
import express, { type NextFunction, type Request, type Response } from 'express';
import { isValidSlackRequest } from '@slack/bolt';
import { answerMalformed } from '../chat/malformed.ts';

const BODY_LIMIT = '1mb';
const FORM = 'application/x-www-form-urlencoded';

export type ShapeProblem = 'not_an_object' | 'payload_not_json' | 'no_type' | 'click_without_user' | 'click_without_actions';

/** Why Bolt could not take this body, or undefined when it can. */
export function shapeProblem(rawBody: string, contentType: string | undefined): ShapeProblem | undefined {
  // Bolt reads a body as a form only under exactly this content type, as JSON otherwise.
  if (contentType !== FORM) {
    const parsed = parseJson(rawBody);
    if (!isObject(parsed)) return 'not_an_object';
    return typeof parsed.type === 'string' ? undefined : 'no_type';
  }
  const form = new URLSearchParams(rawBody);
  const payload = form.get('payload');
  if (payload === null) return undefined; // a slash command or ssl_check: Bolt reads the fields
  const parsed = parseJson(payload);
  if (parsed === undefined) return 'payload_not_json';
  if (!isObject(parsed)) return 'not_an_object';
  if (typeof parsed.type !== 'string') return 'no_type';
  if (parsed.type === 'block_actions' || parsed.type === 'view_submission' || parsed.type === 'shortcut' || parsed.type === 'message_action') {
    if (!isObject(parsed.user) || typeof parsed.user.id !== 'string') return 'click_without_user';
  }
  if (parsed.type === 'block_actions' && (!Array.isArray(parsed.actions) || parsed.actions.length === 0 || !parsed.actions.every(isObject))) return 'click_without_actions';
  return undefined;
}

export function shapeGuard(options: { signingSecret: string; onRefused?: (problem: ShapeProblem) => void }) {
  const readBody = express.raw({ type: () => true, limit: BODY_LIMIT });
  const check = (req: Request, res: Response, next: NextFunction) => {
    const bytes = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
    (req as Request & { rawBody?: Buffer }).rawBody = bytes;
    const raw = bytes.toString('utf8');
    const problem = shapeProblem(raw, req.headers['content-type']);
    if (problem && signedBySlack(options.signingSecret, raw, req)) {
      options.onRefused?.(problem);
      answerMalformed(res, problem);
      return;
    }
    next();
  };
  return [readBody, check];
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
