// What people read about who may act is the same in `/xero help`, the README and .env.example, and
// it is what decidePermission does.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { HELP, WHO_MAY_ACT } from '../src/domain/views/wording.ts';
import { decidePermission, type Admins } from '../src/domain/permissions.ts';

const read = (file: string) => readFileSync(new URL(`../${file}`, import.meta.url), 'utf8');
const flat = (text: string) => text.replace(/\n#\s*/g, ' ').replace(/\s+/g, ' ');

describe('who may act', () => {
  it('is said in the same words by help, the README and .env.example', () => {
    expect(HELP.lines).toContain(WHO_MAY_ACT);
    expect(read('README.md').split(WHO_MAY_ACT).length - 1).toBeGreaterThanOrEqual(2);
    const env = flat(read('.env.example'));
    expect(env).toContain('Anyone may read and check; admins and the person who connected an organisation may reconnect, disconnect, pause or resume it; only admins connect organisations and choose the alert channel.');
    expect(env).toContain('Empty: everyone in Slack counts as an admin');
    expect(env).toContain('empty: everyone in Teams counts as an admin');
  });

  it('is what the permission rule decides', () => {
    const admins: Admins = { slack: ['UADMIN'], teams: [] };
    const connector = { platform: 'slack', userId: 'UCONN' };
    const someone = { platform: 'slack' as const, userId: 'USOMEONE' };
    expect(decidePermission(someone, 'read', admins).allowed).toBe(true);
    expect(decidePermission(someone, 'check', admins).allowed).toBe(true);
    for (const action of ['reconnect', 'disconnect', 'pause', 'resume'] as const) {
      expect(decidePermission(someone, action, admins, connector).allowed).toBe(false);
      expect(decidePermission({ platform: 'slack', userId: 'UCONN' }, action, admins, connector).allowed).toBe(true);
      expect(decidePermission({ platform: 'slack', userId: 'UADMIN' }, action, admins, connector).allowed).toBe(true);
    }
    expect(decidePermission({ platform: 'slack', userId: 'UCONN' }, 'connect', admins, connector).allowed).toBe(false);
    expect(decidePermission({ platform: 'slack', userId: 'UCONN' }, 'set_alert_channel', admins, connector).allowed).toBe(false);
    // No Teams admin set: everyone in Teams counts as an admin.
    expect(decidePermission({ platform: 'teams', userId: '29:anyone' }, 'connect', admins).allowed).toBe(true);
  });
});
