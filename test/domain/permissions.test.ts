import { describe, expect, it } from 'vitest';
import { decidePermission, type Action, type Admins } from '../../src/domain/permissions.ts';

const admins: Admins = { slack: ['UADMIN'], teams: ['29:admin'] };
const connector = { platform: 'slack', userId: 'UCONNECTOR' };

describe('who may act', () => {
  it.each<[string, Action]>([['read', 'read'], ['check', 'check']])('lets anyone %s', (_n, action) => {
    expect(decidePermission({ platform: 'slack', userId: 'USTRANGER' }, action, admins, connector)).toEqual({ allowed: true, reason: 'anyone_may_read' });
  });

  it.each<Action>(['disconnect', 'reconnect', 'confirm_xero', 'pause', 'resume'])('lets an admin and the connector %s', (action) => {
    expect(decidePermission({ platform: 'slack', userId: 'UADMIN' }, action, admins, connector)).toEqual({ allowed: true, reason: 'admin' });
    expect(decidePermission({ platform: 'slack', userId: 'UCONNECTOR' }, action, admins, connector)).toEqual({ allowed: true, reason: 'connector' });
  });

  it.each<Action>(['disconnect', 'reconnect', 'confirm_xero', 'pause', 'resume'])('refuses %s to someone else', (action) => {
    expect(decidePermission({ platform: 'slack', userId: 'USTRANGER' }, action, admins, connector)).toEqual({ allowed: false, reason: 'not_admin_or_connector' });
  });

  it('does not confuse the same user id on another platform', () => {
    expect(decidePermission({ platform: 'teams', userId: 'UCONNECTOR' }, 'disconnect', admins, connector).allowed).toBe(false);
    expect(decidePermission({ platform: 'teams', userId: 'UADMIN' }, 'disconnect', admins, connector).allowed).toBe(false);
  });

  it('keeps connect and choosing the alert channel for admins', () => {
    expect(decidePermission({ platform: 'slack', userId: 'UCONNECTOR' }, 'connect', admins, connector)).toEqual({ allowed: false, reason: 'not_admin' });
    expect(decidePermission({ platform: 'teams', userId: '29:admin' }, 'set_alert_channel', admins)).toEqual({ allowed: true, reason: 'admin' });
  });

  it('treats everyone as an admin on a platform with no admins configured (first install)', () => {
    expect(decidePermission({ platform: 'teams', userId: 'anyone' }, 'connect', { slack: ['UADMIN'], teams: [] })).toEqual({ allowed: true, reason: 'admin' });
  });
});
