// Tokens no configured key decrypts, as people read it on each platform: the same words from the
// one view, the encryption key named as the cause, what to do, and nothing about Xero credentials
// or words Xero never said.
import { describe, expect, it } from 'vitest';
import { renderAlert } from '../../src/adapters/slack/render-alert.ts';
import { renderCard } from '../../src/adapters/teams/cards/render.ts';
import { ACTION_IDS } from '../../src/domain/actions.ts';
import { toAlertView } from '../../src/domain/views/alert.ts';
import { type ConnectionFacts, type IncidentFacts } from '../../src/domain/views/facts.ts';

const at = (m: number) => new Date(Date.UTC(2026, 10, 23, 8, m));
const connection: ConnectionFacts = {
  id: 'c1', tenantName: 'Rotation Ltd', state: 'broken', stateSince: at(0), connectedByPlatform: 'slack',
  connectedByUserId: 'UCONN', connectedByName: 'Connie', lastGoodCheckAt: at(0), lastCause: 'encryption_key_changed',
};
const incident: IncidentFacts = {
  id: 'i1', connectionId: 'c1', cause: 'encryption_key_changed', status: 'open', openedAt: at(5), brokenSince: at(0), httpStatus: null, xeroError: null,
  disconnectedAt: null, disconnectedBy: null, confirmedXeroAt: null, confirmedXeroBy: null, reconnectRequestedAt: null, reconnectRequestedBy: null,
  reconnectedAt: null, reconnectedBy: null, resolvedAt: null,
};

describe('an alert for tokens no configured key decrypts', () => {
  const view = toAlertView(incident, connection);
  const slack = JSON.stringify(renderAlert(view));
  const teams = JSON.stringify(renderCard(view));

  it.each([
    ['Slack', slack],
    ['Teams', teams],
  ])('says on %s that the encryption key changed and what to do, in the same words', (_platform, rendered) => {
    // The passages with no characters a renderer escapes, from each of the view's three sentences.
    expect(rendered).toContain('cannot read this organisation');
    // (Teams Markdown escapes the underscores of the setting's name, so the passage stops before it.)
    expect(rendered).toContain('The encryption key changed: the tokens stored for this organisation were saved under a key that is no longer in ');
    expect(rendered).toContain('An operator can add the previous key back after the new one');
    expect(rendered).toContain('Connie gets a single-use link by direct message');
    expect(rendered).not.toMatch(/client id|XERO_CLIENT|Xero said/i);
    expect(rendered).toContain(ACTION_IDS.reconnect);
    expect(rendered).not.toContain(ACTION_IDS.confirmXero);
  });
});
