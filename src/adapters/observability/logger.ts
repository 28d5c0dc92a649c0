// Structured JSON logs (pino). Tokens, secrets, authorization headers and button payloads are
// redacted by key wherever they appear, and any string that looks like a bearer/basic credential or
// a JWT is masked, so a careless `log.info({ err })` cannot leak one.
import pino, { type Logger, type DestinationStream } from 'pino';

export type { Logger };

/** Keys whose values never reach a log line, at any depth we know of. */
const SECRET_KEYS = [
  'authorization',
  'Authorization',
  'cookie',
  'set-cookie',
  'access_token',
  'refresh_token',
  'id_token',
  'accessToken',
  'refreshToken',
  'idToken',
  'token',
  'client_secret',
  'clientSecret',
  'password',
  'secret',
  'signingSecret',
  'x-slack-signature',
  'payload',
];

const REDACT_PATHS = [
  ...SECRET_KEYS.map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? k : `["${k}"]`)),
  ...SECRET_KEYS.map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `*.${k}` : `*["${k}"]`)),
  ...SECRET_KEYS.map((k) => (/^[A-Za-z_$][\w$]*$/.test(k) ? `*.*.${k}` : `*.*["${k}"]`)),
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-slack-signature"]',
  'headers.authorization',
  'config.headers.Authorization',
  'config.auth',
  'config.data',
];

/** Bearer and Basic credentials, JWTs, Slack tokens and opaque OAuth tokens inside free text. */
const CREDENTIAL_PATTERNS: RegExp[] = [
  /\b(Bearer|Basic)\s+[A-Za-z0-9._~+/=-]{8,}/gi,
  /\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]{5,}/g,
  /\bx(?:ox[abposr]|app)-[A-Za-z0-9-]{8,}/g,
  /([?&](?:t|code|state|token|access_token|refresh_token)=)[^&\s"']+/gi,
];

export function maskCredentials(text: string): string {
  let masked = text;
  for (const pattern of CREDENTIAL_PATTERNS) {
    masked = masked.replace(pattern, (match, prefix: string | undefined) =>
      typeof prefix === 'string' && prefix.endsWith('=') ? `${prefix}[redacted]` : '[redacted]',
    );
  }
  return masked;
}

/** Masks credentials in every string value, without mutating the caller's object. */
function scrub(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return maskCredentials(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) {
    return { type: value.name, message: maskCredentials(value.message), stack: value.stack ? maskCredentials(value.stack) : undefined, code: (value as { code?: unknown }).code };
  }
  if (Array.isArray(value)) return value.map((v) => scrub(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrub(v, depth + 1);
  return out;
}

export type LoggerOptions = { level: string; destination?: DestinationStream; name?: string };

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      name: options.name ?? 'xero-guard',
      level: options.level,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      serializers: { err: (e: unknown) => scrub(e), error: (e: unknown) => scrub(e) },
      hooks: {
        // Messages and every string value pass the credential masks before they are written.
        logMethod(args, method) {
          const scrubbed = args.map((arg) => scrub(arg)) as Parameters<typeof method>;
          return method.apply(this, scrubbed);
        },
      },
      formatters: { level: (label) => ({ level: label }) },
      timestamp: pino.stdTimeFunctions.isoTime,
    },
    options.destination,
  );
}
