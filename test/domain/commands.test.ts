import { describe, expect, it } from 'vitest';
import { matchOrganisation, parseCommand } from '../../src/domain/commands.ts';

describe('parsing /xero commands', () => {
  it.each([
    ['status', { name: 'status' }],
    ['  STATUS  ', { name: 'status' }],
    ['', { name: 'help' }],
    ['help', { name: 'help' }],
    ['connect', { name: 'connect' }],
    ['here', { name: 'here' }],
    ['errors', { name: 'errors', limit: 10 }],
    ['errors 5', { name: 'errors', limit: 5 }],
    ['errors Demo Company 3', { name: 'errors', org: 'Demo Company', limit: 3 }],
    ['errors demo', { name: 'errors', org: 'demo', limit: 10 }],
    ['errors 9999', { name: 'errors', limit: 50 }],
    ['reconnect Demo Company (NZ)', { name: 'reconnect', org: 'Demo Company (NZ)' }],
    ['disconnect demo', { name: 'disconnect', org: 'demo' }],
    ['check demo', { name: 'check', org: 'demo' }],
    ['pause demo', { name: 'pause', org: 'demo' }],
    ['resume demo', { name: 'resume', org: 'demo' }],
  ])('reads %j', (text, command) => {
    expect(parseCommand(text)).toEqual({ ok: true, command });
  });

  it('names an unknown subcommand', () => {
    expect(parseCommand('frobnicate now')).toEqual({ ok: false, reason: 'unknown_command', word: 'frobnicate' });
  });

  it('asks for the organisation when a command needs one', () => {
    expect(parseCommand('disconnect')).toEqual({ ok: false, reason: 'missing_org', name: 'disconnect' });
  });
});

describe('naming organisations', () => {
  const orgs = [{ tenantName: 'Demo Company (NZ)' }, { tenantName: 'Demo Company (UK)' }, { tenantName: 'Acme Ltd' }, { tenantName: 'Acme' }];

  it('accepts a unique case-insensitive prefix', () => {
    expect(matchOrganisation('demo company (n', orgs)).toEqual({ ok: true, match: orgs[0] });
  });

  it('prefers an exact name over longer names sharing it as a prefix', () => {
    expect(matchOrganisation('ACME', orgs)).toEqual({ ok: true, match: orgs[3] });
  });

  it('lists the candidates of an ambiguous prefix', () => {
    expect(matchOrganisation('demo', orgs)).toEqual({ ok: false, reason: 'ambiguous', name: 'demo', candidates: [orgs[0], orgs[1]] });
  });

  it('reports an unknown name', () => {
    expect(matchOrganisation('Globex', orgs)).toEqual({ ok: false, reason: 'unknown', name: 'Globex' });
  });
});
