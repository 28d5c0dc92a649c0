// Every shape of card the Teams renderer can produce, from views that exercise every optional
// part: scripts/check-teams.ts validates each against the Adaptive Card 1.5 schema, and the tests
// use them as well. Built through the zod view schemas, as the outbox would hand them over.
import { CAUSES } from '../../../domain/causes.ts';
import { STATES } from '../../../domain/states.ts';
import { viewSchema, type View } from '../../../domain/views/model.ts';
import { renderCard } from './render.ts';
import { alertChannelOfferCard, welcomeCard } from './offer.ts';
import type { AdaptiveCard } from './card.ts';

const ann = { platform: 'teams' as const, userId: '29:ann', name: 'Ann Admin' };
const bob = { platform: 'teams' as const, userId: '29:bob', name: 'Bob *Bookkeeper*' };
const counts = (given: Partial<Record<(typeof STATES)[number], number>>) => Object.fromEntries(STATES.map((s) => [s, given[s] ?? 0]));
const at = (minutes: number) => new Date(Date.UTC(2026, 2, 3, 9, 0) + minutes * 60_000).toISOString();

const baseAlert = {
  type: 'alert',
  incidentId: 'inc-1',
  connectionId: 'con-1',
  tenantName: 'Demo Company (NZ)',
  cause: 'token_revoked',
  headline: 'Xero connection revoked',
  explanation: 'The authorisation expired or was revoked; reconnect.',
  nextStep: 'Click Disconnect, then remove the app in Xero, then Reconnect.',
  since: at(0),
  connectedBy: bob,
  lastGoodCheck: at(-5),
  steps: {},
  buttons: ['disconnect', 'reconnect', 'confirmXero', 'sendLink'],
};

const reconnectAlert = {
  ...baseAlert,
  cause: 'app_disconnected_in_xero',
  path: 'reconnect',
  next: [{ person: bob }, ' reconnects with the link in their direct messages: the app is already removed in Xero.'],
  inMotion: [[{ person: bob }, ' has a reconnect link by direct message (sent ', { at: at(1) }, ', ', { ago: at(1) }, ').']],
  linksSent: [{ to: bob, at: at(1), expiresAt: at(31) }],
  buttons: ['reconnect', 'sendLink'],
};

export function sampleViews(): { name: string; view: View }[] {
  const raw: { name: string; view: unknown }[] = [
    { name: 'alert: fresh', view: baseAlert },
    { name: 'alert: reconnect path, a link in motion, send link to…', view: reconnectAlert },
    { name: 'alert: with Xero error, no last good check', view: { ...baseAlert, lastGoodCheck: undefined, httpStatus: 403, xeroError: 'AuthenticationUnsuccessful', cause: 'access_lost' } },
    {
      name: 'alert: every step done but reconnect',
      view: {
        ...baseAlert,
        steps: { disconnectedHere: { by: ann, at: at(10) }, confirmedInXero: { by: ann, at: at(12) }, reconnectRequested: { by: ann, at: at(13) } },
        nextStep: 'Bob Bookkeeper has a reconnect link in a direct message.',
        buttons: ['reconnect'],
      },
    },
    {
      name: 'alert: resolved',
      view: {
        ...baseAlert,
        steps: {
          disconnectedHere: { by: ann, at: at(10) },
          confirmedInXero: { by: ann, at: at(12) },
          reconnectRequested: { by: ann, at: at(13) },
          reconnected: { by: bob, at: at(20) },
        },
        resolved: { at: at(20), recoveredAfterMs: 20 * 60_000, by: bob },
        buttons: [],
      },
    },
    ...CAUSES.map((cause) => ({ name: `alert: cause ${cause}`, view: { ...baseAlert, cause } })),
    {
      name: 'summary: mass revocation',
      view: {
        type: 'summary',
        title: '1,000 Xero connections broke',
        text: 'Most were revoked at once. Reconnect each with "reconnect <organisation>".',
        rows: Array.from({ length: 1000 }, (_, i) => ({
          incidentId: `inc-${i}`,
          connectionId: `con-${i}`,
          tenantName: `Organisation ${i}`,
          cause: 'token_revoked',
          explanation: 'The authorisation expired or was revoked; reconnect.',
          resolved: i % 7 === 0,
        })),
        more: 12,
      },
    },
    {
      name: 'summary: full, 100 long names, two causes, some restored',
      view: {
        type: 'summary',
        title: '100 Xero connections broke',
        text: 'Every organisation is named; a new message starts when one is full.',
        rows: Array.from({ length: 100 }, (_, i) => ({
          incidentId: `inc-${i}`,
          connectionId: `con-${i}`,
          tenantName: `${'Very Long & <Odd> *Organisation* Name '.repeat(2).slice(0, 56)}${String(i).padStart(4, '0')}`,
          cause: i % 3 === 0 ? 'access_lost' : 'token_revoked',
          explanation: i % 3 === 0 ? 'The Xero user lost access to this organisation.' : 'The authorisation expired or was revoked; reconnect.',
          resolved: i % 10 === 0,
        })),
        more: 0,
      },
    },
    { name: 'summary: all resolved', view: { type: 'summary', title: 'Restored', text: 'All connections are back.', rows: [{ incidentId: 'i', connectionId: 'c', tenantName: 'Demo', cause: 'access_lost', explanation: 'x', resolved: true }], more: 0 } },
    ...(['info', 'warning', 'danger', 'good'] as const).map((tone) => ({
      name: `notice: ${tone}`,
      view: { type: 'notice', tone, title: 'Xero API unreachable', text: 'Checks keep failing with timeouts since 09:00 UTC.', organisations: tone === 'danger' ? Array.from({ length: 80 }, (_, i) => `Org ${i}`) : ['Demo Company (NZ)'] },
    })),
    { name: 'notice: no organisations', view: { type: 'notice', tone: 'good', title: 'Xero API reachable again', text: 'Checks pass again.' } },
    { name: 'status: empty', view: { type: 'status', summary: 'No connections', counts: counts({}), rows: [] } },
    {
      name: 'status: 500 connections',
      view: {
        type: 'status',
        summary: '500 connections: 480 connected, 10 broken, 10 paused',
        counts: counts({ connected: 480, broken: 10, paused: 10 }),
        rows: Array.from({ length: 500 }, (_, i) => ({
          connectionId: `con-${i}`,
          tenantName: `Organisation ${i}`,
          state: STATES[i % STATES.length],
          since: at(-i),
          lastGoodCheck: i % 3 === 0 ? undefined : at(-1),
          connectedBy: i % 2 ? ann : bob,
          tokenAgeMs: i % 4 === 0 ? undefined : i * 60_000,
          cause: STATES[i % STATES.length] === 'broken' ? 'token_revoked' : undefined,
        })),
      },
    },
    {
      name: 'status: all good',
      view: { type: 'status', summary: '1 connection: 1 connected', counts: counts({ connected: 1 }), rows: [{ connectionId: 'c', tenantName: 'Demo', state: 'connected', since: at(0), connectedBy: ann }] },
    },
    { name: 'errors: none', view: { type: 'errors', title: 'Last errors', rows: [] } },
    {
      name: 'errors: many',
      view: {
        type: 'errors',
        title: 'Last 50 errors',
        rows: Array.from({ length: 50 }, (_, i) => ({
          at: at(-i),
          tenantName: 'Demo Company (NZ)',
          operation: i % 2 ? 'organisation' : 'refresh',
          httpStatus: i % 3 ? 403 : undefined,
          xeroError: i % 2 ? 'AuthenticationUnsuccessful' : undefined,
          cause: i % 5 ? 'access_lost' : undefined,
          reason: 'Xero refused access to the organisation',
          detail: 'organisation · status 403 · AuthenticationUnsuccessful',
          count: i % 4 === 0 ? 10 : 1,
          ...(i % 4 === 0 ? { from: at(-i - 45) } : {}),
        })),
      },
    },
    {
      name: 'link: reconnect',
      view: { type: 'link', purpose: 'reconnect', text: 'Reconnect Demo Company (NZ) to Xero.', buttonText: 'Reconnect to Xero', url: 'https://guard.example.com/xero/connect?t=abc', expiresAt: at(30) },
    },
    { name: 'link: connect', view: { type: 'link', purpose: 'connect', text: 'Connect an organisation.', buttonText: 'Connect to Xero', url: 'https://guard.example.com/xero/connect?t=def', expiresAt: at(30) } },
    { name: 'text: plain', view: { type: 'text', text: 'Done.' } },
    { name: 'text: with a person and a time', view: { type: 'text', text: 'Ann Admin confirmed.', rich: [{ person: ann }, ' confirmed at ', { at: at(3) }, '.'] } },
    { name: 'text: refusal', view: { type: 'text', tone: 'danger', text: 'Only admins or the person who connected Demo may disconnect it.' } },
    {
      name: 'text: help',
      view: { type: 'text', tone: 'info', title: 'Xero Guard commands', text: 'Send one of these:', lines: ['status', 'errors [org] [n]', 'connect', 'reconnect <org>', 'here', 'help'] },
    },
  ];
  return raw.map(({ name, view }) => ({ name, view: viewSchema.parse(view) }));
}

/** Every card the Teams adapter can send: one per sample view, plus the Teams-only cards. */
export function sampleCards(): { name: string; card: AdaptiveCard }[] {
  return [
    ...sampleViews().map(({ name, view }) => ({ name, card: renderCard(view) })),
    { name: 'offer: alert channel', card: alertChannelOfferCard() },
    { name: 'welcome', card: welcomeCard() },
  ];
}
