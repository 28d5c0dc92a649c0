import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadConfig, loadKeySettings, settingsSchema } from '../src/config.ts';

const key = Buffer.alloc(32, 7).toString('base64');
const base = {
  PUBLIC_URL: 'https://guard.example.com/',
  TOKEN_ENCRYPTION_KEY: key,
  XERO_CLIENT_ID: 'client',
  XERO_CLIENT_SECRET: 'secret',
  SLACK_BOT_TOKEN: 'xoxb-test',
  SLACK_SIGNING_SECRET: 'signing',
};

function problemsOf(env: Record<string, string | undefined>): string[] {
  const loaded = loadConfig(env);
  return loaded.ok ? [] : loaded.problems;
}

describe('settings', () => {
  it('are every one in the README table, and the table names no setting that does not exist', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    const table = readme.slice(readme.indexOf('## Configuration'), readme.indexOf('\n## ', readme.indexOf('## Configuration') + 1));
    // A row names one setting, or several in one cell (`A`, `B`); rows for other tools' settings are marked.
    const rows = [...table.matchAll(/^\| (`[^|]+`) \|([^|]*)\|([^|]*)\|/gm)].filter((m) => !m[3]!.includes('Read only by'));
    const documented = rows.flatMap((m) => [...m[1]!.matchAll(/`([A-Za-z][A-Za-z0-9_]+)`/g)].map((n) => n[1]));
    expect(new Set(documented)).toEqual(new Set(Object.keys(settingsSchema.shape)));
  });

  it('applies the documented defaults', () => {
    const loaded = loadConfig(base);
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    const c = loaded.config;
    expect(c.PORT).toBe(3000);
    expect(c.DATABASE_URL).toBe('file:./data/xero-guard.db');
    expect(c.CHECK_INTERVAL).toBe(300_000);
    expect(c.REPEAT_INTERVAL).toBe(86_400_000);
    expect(c.GROUP_WINDOW).toBe(30_000);
    expect(c.TENANT_PROBE_INTERVAL).toBe(86_400_000);
    expect(c.TENANT_PROBE_BUSY_SHARE).toBe(0.5);
    expect([c.XERO_TROUBLE_SHARE, c.XERO_TROUBLE_MIN_GRANTS, c.XERO_TROUBLE_WINDOW, c.XERO_TROUBLE_RECHECK_AFTER]).toEqual([0.5, 20, 300_000, 600_000]);
    expect(c.xeroRedirectUri).toBe('https://guard.example.com/xero/callback');
    expect(c.XERO_SCOPES).toContain('offline_access');
    expect(c.TOKEN_ENCRYPTION_KEY).toEqual([{ key: Buffer.alloc(32, 7) }]);
    expect(c.slackEnabled).toBe(true);
    expect(c.teamsEnabled).toBe(false);
  });

  it('names every missing setting, one line each', () => {
    expect(problemsOf({})).toEqual([
      'PUBLIC_URL is missing',
      'TOKEN_ENCRYPTION_KEY is missing',
      'XERO_CLIENT_ID is missing',
      'XERO_CLIENT_SECRET is missing',
      expect.stringMatching(/^no chat platform is configured/),
    ]);
  });

  it.each([
    ['PUBLIC_URL', 'not a url', /^PUBLIC_URL /],
    ['TOKEN_ENCRYPTION_KEY', Buffer.alloc(16).toString('base64'), /^TOKEN_ENCRYPTION_KEY must be 32 bytes of base64/],
    ['TOKEN_ENCRYPTION_KEY', 'not base64 at all!', /^TOKEN_ENCRYPTION_KEY must be 32 bytes of base64/],
    ['CHECK_INTERVAL', 'often', /^CHECK_INTERVAL "often" is not a duration/],
    ['REPEAT_INTERVAL', '3 fortnights', /^REPEAT_INTERVAL /],
    ['PORT', 'eighty', /^PORT /],
    ['DATABASE_URL', 'mysql://db', /^DATABASE_URL must start with file:/],
    ['LOG_LEVEL', 'loud', /^LOG_LEVEL /],
    ['SLACK_API_URL', 'ftp://slack', /^SLACK_API_URL /],
    ['METRICS_TOKEN', 'short', /^METRICS_TOKEN must be at least 16 characters/],
    ['XERO_SCOPES', 'openid offline_access accounting.settings.read accounting.invoice.read', /^XERO_SCOPES names "accounting.invoice.read", which is not a Xero scope/],
    ['XERO_SCOPES', 'openid profile email accounting.settings.read', /^XERO_SCOPES lacks offline_access/],
    ['XERO_TROUBLE_SHARE', '50%', /^XERO_TROUBLE_SHARE /],
    ['XERO_TROUBLE_SHARE', '1.5', /^XERO_TROUBLE_SHARE must be at most 1/],
    ['XERO_TROUBLE_MIN_GRANTS', '1', /^XERO_TROUBLE_MIN_GRANTS must be at least 2/],
    ['XERO_TROUBLE_RECHECK_AFTER', 'later', /^XERO_TROUBLE_RECHECK_AFTER "later" is not a duration/],
  ])('refuses a bad %s and names it', (name, value, message) => {
    const problems = problemsOf({ ...base, [name]: value });
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(message);
  });

  it('accepts granular 2026 scopes beside the ones Xero Guard needs', () => {
    const loaded = loadConfig({ ...base, XERO_SCOPES: 'openid profile email offline_access accounting.settings.read accounting.invoices.read accounting.reports.profitandloss.read' });
    expect(loaded.ok && loaded.config.XERO_SCOPES).toContain('accounting.invoices.read');
    expect(problemsOf({ ...base, XERO_SCOPES: 'offline_access accounting.settings' })).toEqual([]);
  });

  it('accepts several encryption keys for rotation, labelled or bare, the first one encrypting', () => {
    const newKey = Buffer.alloc(32, 1).toString('base64');
    const labelled = loadConfig({ ...base, TOKEN_ENCRYPTION_KEY: `new:${newKey},old:${key}` });
    expect(labelled.ok && labelled.config.TOKEN_ENCRYPTION_KEY).toEqual([
      { key: Buffer.alloc(32, 1), label: 'new' },
      { key: Buffer.alloc(32, 7), label: 'old' },
    ]);
    const bare = loadConfig({ ...base, TOKEN_ENCRYPTION_KEY: `${newKey}, ${key}` });
    expect(bare.ok && bare.config.TOKEN_ENCRYPTION_KEY).toEqual([{ key: Buffer.alloc(32, 1) }, { key: Buffer.alloc(32, 7) }]);
  });

  it('refuses a key label it could not tell from a key', () => {
    expect(problemsOf({ ...base, TOKEN_ENCRYPTION_KEY: `a label:${key}` })).toEqual(['TOKEN_ENCRYPTION_KEY key label "a label" must be 1-16 letters, digits, _ or -']);
  });

  it('reads only the database and the keys for npm run keys:rotate', () => {
    expect(loadKeySettings({ TOKEN_ENCRYPTION_KEY: key })).toEqual({ ok: true, settings: { DATABASE_URL: 'file:./data/xero-guard.db', TOKEN_ENCRYPTION_KEY: [{ key: Buffer.alloc(32, 7) }] } });
    expect(loadKeySettings({ DATABASE_URL: 'mysql://db' })).toEqual({ ok: false, problems: [expect.stringMatching(/^DATABASE_URL must start with file:/), 'TOKEN_ENCRYPTION_KEY is missing'] });
  });

  it('treats empty lines of .env as unset', () => {
    const loaded = loadConfig({ ...base, PORT: '', SLACK_APP_TOKEN: '' });
    if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
    expect(loaded.config.PORT).toBe(3000);
    expect(loaded.config.SLACK_APP_TOKEN).toBeUndefined();
  });

  it('runs Teams alone', () => {
    const env = { ...base, SLACK_BOT_TOKEN: undefined, SLACK_SIGNING_SECRET: undefined, MicrosoftAppId: 'app', MicrosoftAppPassword: 'pw' };
    expect(loadConfig(env)).toMatchObject({ ok: true, config: { slackEnabled: false, teamsEnabled: true } });
  });

  it('names the missing half of a half-configured platform', () => {
    expect(problemsOf({ ...base, SLACK_SIGNING_SECRET: undefined })).toEqual([expect.stringMatching(/^SLACK_SIGNING_SECRET is missing/)]);
    expect(problemsOf({ ...base, MicrosoftAppId: 'app' })).toEqual(['MicrosoftAppPassword is missing (MicrosoftAppId is set)']);
    expect(problemsOf({ ...base, MicrosoftAppId: 'app', MicrosoftAppPassword: 'pw', MicrosoftAppType: 'SingleTenant' })).toEqual([
      'MicrosoftAppTenantId is missing (MicrosoftAppType is SingleTenant)',
    ]);
  });

  it('uses XERO_REDIRECT_URI when given', () => {
    expect(loadConfig({ ...base, XERO_REDIRECT_URI: 'https://x.example/cb' })).toMatchObject({ ok: true, config: { xeroRedirectUri: 'https://x.example/cb' } });
  });

  describe('webhook endpoints', () => {
    const secret = `whsec_${Buffer.alloc(32, 9).toString('base64')}`;
    const endpoint = { name: 'billing', url: 'https://billing.example.com/hooks', secrets: [secret] };

    it('takes a JSON array of endpoints, every event unless told, retried 3 days by default', () => {
      const loaded = loadConfig({ ...base, WEBHOOK_ENDPOINTS: JSON.stringify([endpoint, { ...endpoint, name: 'ledger', events: ['connection.broken'] }]) });
      if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
      expect(loaded.config.WEBHOOK_ENDPOINTS).toEqual([endpoint, { ...endpoint, name: 'ledger', events: ['connection.broken'] }]);
      expect(loaded.config.WEBHOOK_RETRY_FOR).toBe(3 * 86_400_000);
      expect(loadConfig(base)).toMatchObject({ ok: true, config: { WEBHOOK_ENDPOINTS: [] } });
    });

    it.each([
      ['not json', 'WEBHOOK_ENDPOINTS must be a JSON array of endpoints (see README)'],
      [JSON.stringify([{ ...endpoint, secrets: ['hunter2'] }]), 'WEBHOOK_ENDPOINTS [0.secrets.0]: secrets must be whsec_'],
      [JSON.stringify([{ ...endpoint, secrets: [] }]), 'WEBHOOK_ENDPOINTS [0.secrets]: secrets must list at least one secret'],
      [JSON.stringify([{ ...endpoint, events: ['connection.exploded'] }]), 'WEBHOOK_ENDPOINTS [0.events.0]'],
      [JSON.stringify([{ ...endpoint, url: 'ftp://x' }]), 'WEBHOOK_ENDPOINTS [0.url]: must be an http(s) URL'],
      [JSON.stringify([endpoint, endpoint]), 'WEBHOOK_ENDPOINTS names two endpoints "billing"'],
    ])('refuses %s with one line naming it', (value, problem) => {
      const problems = problemsOf({ ...base, WEBHOOK_ENDPOINTS: value });
      expect(problems).toHaveLength(1);
      expect(problems[0]).toContain(problem);
      expect(problems[0]).not.toContain(secret);
    });

    it('retries for at least a day', () => {
      expect(problemsOf({ ...base, WEBHOOK_RETRY_FOR: '12h' })).toEqual(['WEBHOOK_RETRY_FOR must be at least 1d (events are retried for at least a day)']);
    });
  });

  describe('read API keys', () => {
    it('takes name:key and name:sha256:<hex>, and revoked names', () => {
      const key = 'a'.repeat(40);
      const hashed = createHash('sha256').update('b'.repeat(40)).digest('hex');
      const loaded = loadConfig({ ...base, API_KEYS: `billing:${key}, ledger:sha256:${hashed}`, API_KEYS_REVOKED: 'ledger' });
      if (!loaded.ok) throw new Error(loaded.problems.join('\n'));
      expect(loaded.config.API_KEYS.map((k) => [k.name, k.sha256.toString('hex')])).toEqual([
        ['billing', createHash('sha256').update(key).digest('hex')],
        ['ledger', hashed],
      ]);
      expect(loaded.config.API_KEYS_REVOKED).toEqual(['ledger']);
    });

    it('refuses a short key without repeating it', () => {
      const problems = problemsOf({ ...base, API_KEYS: 'billing:short-key' });
      expect(problems).toEqual(['API_KEYS key "billing" must be at least 32 characters (openssl rand -hex 32) or sha256:<64 hex>']);
    });
  });
});
