// Checks manifest.json (the Slack app manifest) against Slack's official JSON Schema (a copy in
// test/contracts/slack/, with its licence and source) and against what the code uses: the /xero command, one request URL
// (/slack/events) for commands, interactivity and events, and exactly the scopes and events in
// src/adapters/slack/app-facts.ts. Run by .ci/run: `npx tsx scripts/check-slack-manifest.ts`.
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv, type ErrorObject } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { BOT_EVENTS, BOT_SCOPES, EVENTS_PATH, HISTORY_BOT_SCOPES, REQUIRED_BOT_SCOPES, SLASH_COMMAND } from '../src/adapters/slack/app-facts.ts';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

export function defaultSchemaDir(): string {
  return path.join(root, 'test', 'contracts', 'slack');
}

type Manifest = {
  _metadata?: { major_version?: number };
  features?: { slash_commands?: { command: string; url?: string }[]; app_home?: { home_tab_enabled?: boolean }; bot_user?: unknown };
  oauth_config?: { scopes?: { bot?: string[]; user?: string[] } };
  settings?: {
    interactivity?: { is_enabled: boolean; request_url?: string };
    event_subscriptions?: { request_url?: string; bot_events?: string[]; user_events?: string[] };
    socket_mode_enabled?: boolean;
  };
};

export function checkSlackManifest(manifest: unknown, schemaDir = defaultSchemaDir()): string[] {
  const m = manifest as Manifest;
  const major = m?._metadata?.major_version ?? 1;
  const schemaFile = path.join(schemaDir, `manifest.schema.${major}.0.0.json`);
  const schema = JSON.parse(readFileSync(schemaFile, 'utf8')) as Record<string, unknown>;
  delete schema.$schema;

  const ajv = new Ajv({ allErrors: true, strict: false });
  // ajv-formats is CommonJS; under ESM its function may sit on .default.
  const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as unknown as (a: Ajv) => void;
  addFormats(ajv);
  // Slack's schema writes some patterns as a non-standard "regex" keyword; enforce them too.
  ajv.addKeyword({
    keyword: 'regex',
    type: 'string',
    schemaType: 'string',
    validate: (pattern: string, data: string) => new RegExp(pattern).test(data),
  });
  const validate = ajv.compile(schema);
  const problems: string[] = [];
  if (!validate(manifest)) {
    for (const e of validate.errors ?? []) problems.push(`schema: ${describe(e)}`);
  }
  problems.push(...checkAgainstCode(m));
  return problems;
}

function describe(e: ErrorObject): string {
  return `${e.instancePath || '/'} ${e.message ?? e.keyword}${e.params && Object.keys(e.params).length ? ` ${JSON.stringify(e.params)}` : ''}`;
}

function checkAgainstCode(m: Manifest): string[] {
  const problems: string[] = [];
  const commands = m.features?.slash_commands ?? [];
  const xero = commands.find((c) => c.command === SLASH_COMMAND);
  if (!xero) problems.push(`features.slash_commands has no ${SLASH_COMMAND}`);
  if (commands.length !== 1) problems.push(`features.slash_commands should hold only ${SLASH_COMMAND}`);
  if (!m.features?.bot_user) problems.push('features.bot_user is missing');
  if (!m.features?.app_home?.home_tab_enabled) problems.push('features.app_home.home_tab_enabled must be true (the status table lives there)');
  if (!m.settings?.interactivity?.is_enabled) problems.push('settings.interactivity.is_enabled must be true (the alert buttons)');

  const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && [...a].sort().join() === [...b].sort().join();
  const bot = m.oauth_config?.scopes?.bot ?? [];
  const missing = REQUIRED_BOT_SCOPES.filter((s) => !bot.includes(s));
  if (missing.length > 0) problems.push(`oauth_config.scopes.bot lacks ${missing.join(', ')}`);
  const unused = bot.filter((s) => !(BOT_SCOPES as readonly string[]).includes(s));
  if (unused.length > 0) problems.push(`oauth_config.scopes.bot asks for ${unused.join(', ')}, which the code never uses`);
  const history = HISTORY_BOT_SCOPES.filter((s) => bot.includes(s));
  if (history.length > 0 && history.length < HISTORY_BOT_SCOPES.length) problems.push(`oauth_config.scopes.bot: the history scopes go together (${HISTORY_BOT_SCOPES.join(', ')})`);
  if ((m.oauth_config?.scopes?.user ?? []).length > 0) problems.push('oauth_config.scopes.user: the app uses no user scopes');
  const events = m.settings?.event_subscriptions?.bot_events ?? [];
  if (!sameList(events, BOT_EVENTS)) problems.push(`settings.event_subscriptions.bot_events must be exactly ${BOT_EVENTS.join(', ')}`);
  if ((m.settings?.event_subscriptions?.user_events ?? []).length > 0) problems.push('settings.event_subscriptions.user_events: the app uses none');

  // HTTP mode: one URL for everything. Socket Mode manifests leave the URLs out.
  if (!m.settings?.socket_mode_enabled) {
    const urls = [xero?.url, m.settings?.interactivity?.request_url, m.settings?.event_subscriptions?.request_url];
    for (const url of urls) {
      if (!url || new URL(url).pathname !== EVENTS_PATH) problems.push(`request URLs must end in ${EVENTS_PATH} (found ${url ?? 'none'})`);
    }
    if (new Set(urls).size !== 1) problems.push('the command, interactivity and events must share one request URL');
  }
  return problems;
}

const isMain = process.argv[1] !== undefined && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url);
if (isMain) {
  const file = path.resolve(root, process.argv[2] ?? 'manifest.json');
  const problems = checkSlackManifest(JSON.parse(readFileSync(file, 'utf8')));
  if (problems.length > 0) {
    for (const p of problems) console.error(`slack manifest: ${p}`);
    process.exit(1);
  }
  console.log(`slack manifest: ${path.relative(root, file)} is valid against ${path.relative(root, defaultSchemaDir())}`);
}
