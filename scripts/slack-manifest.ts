// `npm run slack:manifest`: writes the Slack app manifest to paste into api.slack.com/apps
// (Create New App › From an app manifest), with PUBLIC_URL filled into its three request URLs
// (the /xero command, interactivity, events). Settings come from the environment and .env, as
// for `npm start`. Options:
//   --socket-mode     Socket Mode: no request URLs (SLACK_APP_TOKEN then connects out to Slack)
//   --no-history      leave out the optional history scopes (see the README)
// The result is checked against Slack's manifest schema before it is written.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import dotenv from 'dotenv';
import { z } from 'zod';
import { EVENTS_PATH, HISTORY_BOT_SCOPES } from '../src/adapters/slack/app-facts.ts';
import { checkSlackManifest } from './check-slack-manifest.ts';

const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

type SlackManifest = {
  features: { slash_commands: { command: string; url?: string }[] };
  oauth_config: { scopes: { bot: string[] } };
  settings: { interactivity: { request_url?: string }; event_subscriptions: { request_url?: string }; socket_mode_enabled?: boolean };
};

export type ManifestOptions = { publicUrl?: string; socketMode: boolean; history: boolean };

export function readSlackTemplate(): SlackManifest {
  return JSON.parse(readFileSync(path.join(REPO_ROOT, 'manifest.json'), 'utf8')) as SlackManifest;
}

export function fillSlackManifest(template: SlackManifest, options: ManifestOptions): SlackManifest {
  const manifest = structuredClone(template);
  const url = options.publicUrl ? new URL(EVENTS_PATH, options.publicUrl.endsWith('/') ? options.publicUrl : `${options.publicUrl}/`).toString() : undefined;
  for (const command of manifest.features.slash_commands) {
    if (options.socketMode) delete command.url;
    else command.url = url;
  }
  if (options.socketMode) {
    delete manifest.settings.interactivity.request_url;
    delete manifest.settings.event_subscriptions.request_url;
    manifest.settings.socket_mode_enabled = true;
  } else {
    manifest.settings.interactivity.request_url = url;
    manifest.settings.event_subscriptions.request_url = url;
    manifest.settings.socket_mode_enabled = false;
  }
  if (!options.history) manifest.oauth_config.scopes.bot = manifest.oauth_config.scopes.bot.filter((s) => !(HISTORY_BOT_SCOPES as readonly string[]).includes(s));
  return manifest;
}

const publicUrl = z.url({ protocol: /^https$/, message: 'must be an https URL (Slack calls only https request URLs)' });

function main(argv: string[]): number {
  const envFile = process.env.ENV_FILE ?? '.env';
  if (envFile !== '') dotenv.config({ path: path.resolve(REPO_ROOT, envFile), quiet: true });
  const socketMode = argv.includes('--socket-mode');
  const history = !argv.includes('--no-history');
  let url: string | undefined;
  if (!socketMode) {
    const parsed = publicUrl.safeParse(process.env.PUBLIC_URL);
    if (!parsed.success) {
      console.error(`slack:manifest: PUBLIC_URL ${process.env.PUBLIC_URL ? parsed.error.issues[0]!.message : 'is missing'}`);
      console.error('slack:manifest: set it in the environment or .env, or pass --socket-mode (README, Create the Slack app).');
      return 1;
    }
    url = parsed.data;
  }
  const manifest = fillSlackManifest(readSlackTemplate(), { publicUrl: url, socketMode, history });
  const problems = checkSlackManifest(manifest);
  if (problems.length > 0) {
    for (const p of problems) console.error(`slack:manifest: ${p}`);
    return 1;
  }
  const out = path.join(REPO_ROOT, 'dist', 'slack-manifest.json');
  mkdirSync(path.dirname(out), { recursive: true });
  writeFileSync(out, `${JSON.stringify(manifest, null, 2)}\n`);
  console.log(`slack:manifest: wrote ${path.relative(process.cwd(), out)}${url ? ` (request URL ${new URL(EVENTS_PATH, url)})` : ' (Socket Mode)'}; paste it at https://api.slack.com/apps › Create New App › From an app manifest`);
  return 0;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exit(main(process.argv.slice(2)));
