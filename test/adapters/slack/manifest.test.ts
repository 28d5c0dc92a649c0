// manifest.json is a valid Slack app manifest (official schema, copied in test/contracts/slack) and
// asks for exactly what the code uses; the check itself catches broken manifests.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSlackManifest } from '../../../scripts/check-slack-manifest.ts';
import { fillSlackManifest, readSlackTemplate } from '../../../scripts/slack-manifest.ts';

const manifest = () => JSON.parse(readFileSync(new URL('../../../manifest.json', import.meta.url), 'utf8')) as Record<string, any>;

describe('Slack app manifest', () => {
  it('is valid and matches the code', () => {
    expect(checkSlackManifest(manifest())).toEqual([]);
  });

  it('rejects a command without its slash (schema)', () => {
    const m = manifest();
    m.features.slash_commands[0].command = 'xero';
    expect(checkSlackManifest(m).join('\n')).toMatch(/schema: \/features\/slash_commands\/0\/command must match pattern/);
  });

  it('rejects an unknown top-level key and a bad colour (schema, including Slack\'s "regex" keyword)', () => {
    const m = manifest();
    m.surprise = true;
    m.display_information.background_color = 'blue';
    const problems = checkSlackManifest(m).join('\n');
    expect(problems).toMatch(/must NOT have additional properties/);
    expect(problems).toMatch(/background_color/);
  });

  it('rejects scopes or events the code does not use, and split request URLs', () => {
    const m = manifest();
    m.oauth_config.scopes.bot.push('users:read.email');
    m.settings.event_subscriptions.bot_events.push('message.channels');
    m.settings.interactivity.request_url = 'https://elsewhere.example.com/interactive';
    const problems = checkSlackManifest(m);
    expect(problems).toContain('oauth_config.scopes.bot asks for users:read.email, which the code never uses');
    expect(problems.some((p) => p.includes('bot_events must be exactly'))).toBe(true);
    expect(problems.some((p) => p.includes('share one request URL'))).toBe(true);
  });

  it('takes the history scopes as one optional set, never a required scope less', () => {
    const m = manifest();
    m.oauth_config.scopes.bot = m.oauth_config.scopes.bot.filter((s: string) => !s.endsWith(':history'));
    expect(checkSlackManifest(m)).toEqual([]);
    m.oauth_config.scopes.bot.push('im:history');
    expect(checkSlackManifest(m).join('\n')).toMatch(/history scopes go together/);
    m.oauth_config.scopes.bot = ['commands', 'chat:write'];
    expect(checkSlackManifest(m)).toContain('oauth_config.scopes.bot lacks chat:write.public, im:write, users:read, channels:read, groups:read');
  });
});

describe('npm run slack:manifest', () => {
  it('fills PUBLIC_URL into the command, interactivity and events URLs, and the result is valid', () => {
    const m = fillSlackManifest(readSlackTemplate(), { publicUrl: 'https://guard.acme.example', socketMode: false, history: true });
    expect(m.features.slash_commands[0]!.url).toBe('https://guard.acme.example/slack/events');
    expect(m.settings.interactivity.request_url).toBe('https://guard.acme.example/slack/events');
    expect(m.settings.event_subscriptions.request_url).toBe('https://guard.acme.example/slack/events');
    expect(checkSlackManifest(m)).toEqual([]);
    expect(JSON.stringify(m)).not.toContain('example.com');
  });

  it('writes a Socket Mode manifest without request URLs, and one without the history scopes', () => {
    const m = fillSlackManifest(readSlackTemplate(), { socketMode: true, history: false });
    expect(m.settings.socket_mode_enabled).toBe(true);
    expect(JSON.stringify(m)).not.toMatch(/request_url|"url"/);
    expect(m.oauth_config.scopes.bot).toEqual(['commands', 'chat:write', 'chat:write.public', 'im:write', 'users:read', 'channels:read', 'groups:read']);
    expect(checkSlackManifest(m)).toEqual([]);
  });
});
