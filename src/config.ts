// Every setting of the service, parsed once from the environment (and .env) with zod.
// Nothing else reads process.env: main.ts passes the parsed Config down.
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { parseDuration } from './domain/duration.js';
import { EVENT_TYPES } from './domain/events.ts';
import { scopeProblems } from './domain/xero-scopes.ts';

const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const parsed = parseDuration(text);
      if (!parsed.ok) {
        ctx.addIssue({ code: 'custom', message: parsed.reason });
        return z.NEVER;
      }
      return parsed.ms;
    });

const optionalText = z
  .string()
  .trim()
  .optional()
  .transform((v) => (v ? v : undefined));

const idList = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(/[\s,]+/)
      .map((id) => id.trim())
      .filter(Boolean),
  );

const url = z.url({ protocol: /^https?$/, message: 'must be an http(s) URL' });

/**
 * 32 random bytes in base64, or several comma-separated, each optionally labelled (`new:<key>,old:<key>`).
 * The first key encrypts, every key decrypts. Labels are for people: a key is known by a
 * fingerprint of itself (token-cipher.ts), so renaming or reordering keys orphans no token.
 */
const encryptionKeys = z.string().transform((text, ctx) => {
  const keys: { key: Buffer; label?: string }[] = [];
  for (const entry of text.split(',').map((e) => e.trim()).filter(Boolean)) {
    const colon = entry.indexOf(':');
    const label = colon > 0 ? entry.slice(0, colon) : undefined;
    const material = colon > 0 ? entry.slice(colon + 1) : entry;
    const key = Buffer.from(material, 'base64');
    if (label !== undefined && !/^[A-Za-z0-9_-]{1,16}$/.test(label)) {
      ctx.addIssue({ code: 'custom', message: `key label "${label}" must be 1-16 letters, digits, _ or -` });
      return z.NEVER;
    }
    if (key.length !== 32 || key.toString('base64').replace(/=+$/, '') !== material.replace(/=+$/, '')) {
      ctx.addIssue({ code: 'custom', message: 'must be 32 bytes of base64 (openssl rand -base64 32)' });
      return z.NEVER;
    }
    keys.push(label === undefined ? { key } : { key, label });
  }
  if (keys.length === 0) {
    ctx.addIssue({ code: 'custom', message: 'must be 32 bytes of base64 (openssl rand -base64 32)' });
    return z.NEVER;
  }
  return keys;
});

const databaseUrl = z
  .string()
  .default('file:./data/xero-guard.db')
  .refine((v) => /^(file:|postgres(ql)?:\/\/)/.test(v), 'must start with file: (SQLite) or postgresql://');

/** A Standard Webhooks secret: `whsec_` and at least 24 random bytes in base64. */
const webhookSecret = z.string().refine((text) => {
  const match = /^whsec_([A-Za-z0-9+/]+={0,2})$/.exec(text);
  return match !== null && Buffer.from(match[1]!, 'base64').length >= 24;
}, 'secrets must be whsec_ followed by at least 24 random bytes in base64 (whsec_$(openssl rand -base64 32))');

const webhookEndpoint = z.object({
  name: z.string().regex(/^[A-Za-z0-9_.-]{1,40}$/, 'name must be 1-40 letters, digits, _ . or -'),
  url,
  secrets: z.array(webhookSecret).min(1, 'secrets must list at least one secret'),
  /** Omitted: every event. */
  events: z.array(z.enum(EVENT_TYPES)).min(1).optional(),
});
export type WebhookEndpoint = z.output<typeof webhookEndpoint>;

/** A JSON array of endpoints: `[{"name","url","secrets":[...],"events":[...]}]`. */
const webhookEndpoints = z
  .string()
  .default('[]')
  .transform((text, ctx) => {
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch {
      ctx.addIssue({ code: 'custom', message: 'must be a JSON array of endpoints (see README)' });
      return z.NEVER;
    }
    const parsed = z.array(webhookEndpoint).safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0]!;
      ctx.addIssue({ code: 'custom', message: `${issue.path.length ? `[${issue.path.join('.')}]: ` : ''}${issue.message}` });
      return z.NEVER;
    }
    const names = parsed.data.map((e) => e.name);
    const repeated = names.find((n, i) => names.indexOf(n) !== i);
    if (repeated) {
      ctx.addIssue({ code: 'custom', message: `names two endpoints "${repeated}"` });
      return z.NEVER;
    }
    return parsed.data;
  });

/** Bearer keys of the read API: `name:key` (32+ characters) or `name:sha256:<hex of the key's SHA-256>`, comma-separated. */
const apiKeys = z
  .string()
  .default('')
  .transform((text, ctx) => {
    const keys: { name: string; sha256: Buffer }[] = [];
    for (const entry of text.split(/[\s,]+/).filter(Boolean)) {
      const colon = entry.indexOf(':');
      const name = colon > 0 ? entry.slice(0, colon) : '';
      const secret = colon > 0 ? entry.slice(colon + 1) : entry;
      if (!/^[A-Za-z0-9_.-]{1,40}$/.test(name)) {
        ctx.addIssue({ code: 'custom', message: 'entries must be name:key (name: 1-40 letters, digits, _ . or -)' });
        return z.NEVER;
      }
      const hashed = /^sha256:([0-9a-f]{64})$/i.exec(secret);
      if (hashed) keys.push({ name, sha256: Buffer.from(hashed[1]!, 'hex') });
      else if (secret.length >= 32) keys.push({ name, sha256: createHash('sha256').update(secret).digest() });
      else {
        ctx.addIssue({ code: 'custom', message: `key "${name}" must be at least 32 characters (openssl rand -hex 32) or sha256:<64 hex>` });
        return z.NEVER;
      }
    }
    return keys;
  });

export const settingsSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  PUBLIC_URL: url,
  // main.ts reads it before this parse, since it names the file the other settings come from; it is
  // declared here too so that every setting of the README's table has its place in this schema.
  ENV_FILE: optionalText,
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  METRICS_TOKEN: z
    .string()
    .trim()
    .min(16, 'must be at least 16 characters (openssl rand -hex 32)')
    .optional(),
  // Read by `npm start` (node --max-old-space-size); here so a bad value is named, not guessed at.
  HEAP_LIMIT_MB: z.coerce.number().int().min(64).default(160),
  DATABASE_URL: databaseUrl,
  TOKEN_ENCRYPTION_KEY: encryptionKeys,

  XERO_CLIENT_ID: z.string().min(1),
  XERO_CLIENT_SECRET: z.string().min(1),
  XERO_REDIRECT_URI: url.optional(),
  XERO_SCOPES: z
    .string()
    .default('openid profile email offline_access accounting.settings.read')
    .transform((text, ctx) => {
      const scopes = text.split(/\s+/).filter(Boolean);
      for (const problem of scopeProblems(scopes)) ctx.addIssue({ code: 'custom', message: problem });
      return scopes;
    }),
  XERO_IDENTITY_URL: url.default('https://identity.xero.com'),
  XERO_API_URL: url.default('https://api.xero.com'),
  XERO_TIMEOUT: duration('10s'),
  TENANT_PROBE_INTERVAL: duration('24h'),
  TENANT_PROBE_BUSY_SHARE: z.coerce.number().min(0).max(1, 'must be at most 1 (a share: 0.5 is half)').default(0.5),

  SLACK_BOT_TOKEN: optionalText,
  SLACK_SIGNING_SECRET: optionalText,
  SLACK_APP_TOKEN: optionalText,
  SLACK_API_URL: url.default('https://slack.com/api/'),
  SLACK_ADMIN_USER_IDS: idList,

  MicrosoftAppId: optionalText,
  MicrosoftAppPassword: optionalText,
  MicrosoftAppTenantId: optionalText,
  MicrosoftAppType: z.enum(['MultiTenant', 'SingleTenant', 'UserAssignedMSI']).default('MultiTenant'),
  TEAMS_ENABLED: z
    .enum(['true', 'false', '1', '0'])
    .optional()
    .transform((v) => (v === undefined ? undefined : v === 'true' || v === '1')),
  TEAMS_ADMIN_USER_IDS: idList,

  CHECK_INTERVAL: duration('5m'),
  REPEAT_INTERVAL: duration('24h'),
  TRANSIENT_ALERT_AFTER: duration('15m'),
  GROUP_WINDOW: duration('30s'),
  XERO_TROUBLE_SHARE: z.coerce.number().gt(0, 'must be above 0').max(1, 'must be at most 1 (a share: 0.5 is half)').default(0.5),
  XERO_TROUBLE_MIN_GRANTS: z.coerce.number().int().min(2, 'must be at least 2').default(20),
  XERO_TROUBLE_WINDOW: duration('5m'),
  XERO_TROUBLE_RECHECK_AFTER: duration('10m'),

  WEBHOOK_ENDPOINTS: webhookEndpoints,
  WEBHOOK_RETRY_FOR: duration('3d').refine((ms) => ms >= 86_400_000, 'must be at least 1d (events are retried for at least a day)'),
  WEBHOOK_TIMEOUT: duration('10s'),
  API_KEYS: apiKeys,
  API_KEYS_REVOKED: idList,
});

export type Settings = z.output<typeof settingsSchema>;

export type Config = Settings & {
  /** Where Xero sends the browser back: XERO_REDIRECT_URI, or PUBLIC_URL + /xero/callback. */
  xeroRedirectUri: string;
  slackEnabled: boolean;
  teamsEnabled: boolean;
};

export type ConfigResult = { ok: true; config: Config } | { ok: false; problems: string[] };

export function loadConfig(env: Record<string, string | undefined>): ConfigResult {
  const raw = withoutEmpty(env);
  const parsed = settingsSchema.safeParse(raw);
  const problems: string[] = [];
  if (!parsed.success) {
    for (const issue of parsed.error.issues) {
      problems.push(problemOf(raw, String(issue.path[0] ?? 'settings'), issue.message));
    }
  }
  problems.push(...platformProblems(raw));
  if (!parsed.success || problems.length > 0) return { ok: false, problems };
  const s = parsed.data;
  const base = s.PUBLIC_URL.replace(/\/+$/, '');
  return {
    ok: true,
    config: {
      ...s,
      xeroRedirectUri: s.XERO_REDIRECT_URI ?? `${base}/xero/callback`,
      slackEnabled: isSlackConfigured(raw),
      teamsEnabled: isTeamsConfigured(raw),
    },
  };
}

/** Only what `npm run keys:rotate` needs: the database and the keys, not the chat or Xero settings. */
export function loadKeySettings(env: Record<string, string | undefined>): { ok: true; settings: Pick<Settings, 'DATABASE_URL' | 'TOKEN_ENCRYPTION_KEY'> } | { ok: false; problems: string[] } {
  const raw = withoutEmpty(env);
  const parsed = settingsSchema.pick({ DATABASE_URL: true, TOKEN_ENCRYPTION_KEY: true }).safeParse(raw);
  if (parsed.success) return { ok: true, settings: parsed.data };
  return { ok: false, problems: parsed.error.issues.map((issue) => problemOf(raw, String(issue.path[0] ?? 'settings'), issue.message)) };
}

function problemOf(raw: Record<string, string>, name: string, message: string): string {
  return raw[name] === undefined ? `${name} is missing` : `${name} ${message}`;
}

function isSlackConfigured(raw: Record<string, string>): boolean {
  return Boolean(raw.SLACK_BOT_TOKEN || raw.SLACK_SIGNING_SECRET || raw.SLACK_APP_TOKEN);
}

function isTeamsConfigured(raw: Record<string, string>): boolean {
  if (raw.TEAMS_ENABLED !== undefined) return raw.TEAMS_ENABLED === 'true' || raw.TEAMS_ENABLED === '1';
  return Boolean(raw.MicrosoftAppId);
}

/** Either platform may be configured alone, but a half-configured one is a mistake worth a line each. */
function platformProblems(raw: Record<string, string>): string[] {
  const problems: string[] = [];
  const slack = isSlackConfigured(raw);
  if (slack && !raw.SLACK_BOT_TOKEN) problems.push('SLACK_BOT_TOKEN is missing (Slack is partly configured)');
  if (slack && !raw.SLACK_SIGNING_SECRET && !raw.SLACK_APP_TOKEN) {
    problems.push('SLACK_SIGNING_SECRET is missing (needed for HTTP mode; or set SLACK_APP_TOKEN for Socket Mode)');
  }
  const appType = raw.MicrosoftAppType ?? 'MultiTenant';
  if (raw.MicrosoftAppId && !raw.MicrosoftAppPassword && appType !== 'UserAssignedMSI') {
    problems.push('MicrosoftAppPassword is missing (MicrosoftAppId is set)');
  }
  if (raw.MicrosoftAppId && appType === 'SingleTenant' && !raw.MicrosoftAppTenantId) {
    problems.push('MicrosoftAppTenantId is missing (MicrosoftAppType is SingleTenant)');
  }
  if (!slack && !isTeamsConfigured(raw)) {
    problems.push(
      'no chat platform is configured: set SLACK_BOT_TOKEN and SLACK_SIGNING_SECRET (Slack), or MicrosoftAppId and MicrosoftAppPassword (Teams)',
    );
  }
  return problems;
}

/** An empty `FOO=` line in .env means "not set", as people expect. */
function withoutEmpty(env: Record<string, string | undefined>): Record<string, string> {
  return Object.fromEntries(Object.entries(env).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''));
}
