// manifest.json is a valid Slack app manifest (official schema, copied in test/contracts/slack) and
// asks for exactly what the code uses; the check itself catches broken manifests.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { checkSlackManifest } from '../../../scripts/check-slack-manifest.ts';

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
    m.oauth_config.scopes.bot.push('channels:history');
    m.settings.event_subscriptions.bot_events.push('message.channels');
    m.settings.interactivity.request_url = 'https://elsewhere.example.com/interactive';
    const problems = checkSlackManifest(m);
    expect(problems.some((p) => p.includes('oauth_config.scopes.bot must be exactly'))).toBe(true);
    expect(problems.some((p) => p.includes('bot_events must be exactly'))).toBe(true);
    expect(problems.some((p) => p.includes('share one request URL'))).toBe(true);
  });
});
