// The Xero adapter, assembled: XeroPort for the monitor and the buttons, the OAuth routes, link
// issuing, and the refresher. main.ts builds one per process with createXeroAdapter().
import { createCallRate, type CallRate } from '../observability/call-rate.ts';
import { randomUUID } from 'node:crypto';
import type { Router } from 'express';
import type { Config } from '../../config.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import { issueLink, type IssueLinkInput } from '../../handlers/oauth/issue-link.ts';
import type { CheckCycle, CheckOutcome, CheckTarget, Clock, ConnectionLogWriter, ConsentBoundHandler, ConsentRefusedHandler, FreshLinkHandler, LinkIssuer, XeroPort } from '../../handlers/ports.ts';
import type { Db } from '../db/client.ts';
import type { XeroConnectionsRepo } from '../../handlers/xero-repos.ts';
import type { EventRouting } from '../db/events.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createProber } from './probe-connection.ts';
import { disconnectConnection } from './disconnect.ts';
import { createXeroGateway, type XeroGateway, type XeroSettings } from './gateway.ts';
import { createGrantStore } from './grant-store.ts';
import { createLinkStore } from './link-store.ts';
import { xeroOAuthRouter } from './oauth/routes.ts';
import { RateBudget, type BudgetLimits, type SharedAppWindow } from './rate-budget.ts';
import { createRefresher, newOwnerId, type Refresher } from './refresh-grant.ts';
import { reencryptStoredTokens, surveyStoredTokens, type ReencryptReport, type TokenSurvey } from './stored-token-keys.ts';
import { createTokenCipher, type EncryptionKey } from './token-cipher.ts';

export type XeroAdapterDeps = {
  db: Db;
  /** The connections as Xero knows them (src/adapters/db/xero-repos.ts). */
  connections: XeroConnectionsRepo;
  settings: XeroSettings;
  encryptionKeys: readonly EncryptionKey[];
  publicUrl: string;
  connectionLog: ConnectionLogWriter;
  log: Logger;
  clock?: Clock;
  metrics?: Metrics;
  limits?: Partial<BudgetLimits>;
  /** Xero's app-wide minute shared with other replicas (PostgreSQL); without it this process counts alone. */
  sharedBudget?: SharedAppWindow;
  /** Called after a consent is bound (the monitor announces it and resolves incidents). */
  onConsentBound?: ConsentBoundHandler;
  /** A used or expired link's page asked for a fresh one (the chat side sends it by DM). */
  onFreshLink?: FreshLinkHandler;
  /** Xero refused a consent at the callback (the chat side tells the person and the admins). */
  onConsentRefused?: ConsentRefusedHandler;
  /** Webhook endpoints: a consent that connects or restores an organisation writes its event. */
  events?: EventRouting;
  /** Tests shorten the pauses between refresh retries. */
  refreshRetryDelayMs?: number;
};

export type XeroAdapter = XeroPort & {
  /** The port's probe; tests and tools may pass just the connection's id. */
  probeConnection(target: CheckTarget | string, cycle: CheckCycle): Promise<CheckOutcome>;
  router: Router;
  refresher: Refresher;
  gateway: XeroGateway;
  budget: RateBudget;
  /** Calls this replica made to Xero, as a daily rate. */
  callRate: CallRate;
  issueLink(input: IssueLinkInput): ReturnType<typeof issueLink>;
  /** The same, in the shape the monitor's handlers take (ports.ts LinkIssuer). */
  linkIssuer: LinkIssuer;
  /** Which keys the stored tokens are under (TOKEN_ENCRYPTION_KEY rotation). */
  storedTokens: { currentKeyId: string; survey(): Promise<TokenSurvey>; reencrypt(): Promise<ReencryptReport> };
};

const CALLS_PER_CHECK = 2;

const systemClock: Clock = { now: () => new Date() };

export function createXeroAdapter(deps: XeroAdapterDeps): XeroAdapter {
  const clock = deps.clock ?? systemClock;
  const log = deps.log.child({ component: 'xero' });
  const cipher = createTokenCipher(deps.encryptionKeys);
  const budget = new RateBudget({
    limits: deps.limits,
    ...(deps.sharedBudget ? { shared: deps.sharedBudget } : {}),
    onSharedError: (error) => log.warn({ err: error }, 'could not reserve Xero calls from the shared budget; will try again'),
  });
  const calls = deps.metrics?.counter('xero_api_calls_total', 'Answers received from Xero, by operation (Xero bills API egress)', ['operation']);
  const callRate = createCallRate();
  const gateway = createXeroGateway(deps.settings, budget, (operation) => {
    calls?.inc({ operation });
    callRate.record();
  });
  const grants = createGrantStore(deps.db, cipher);
  const links = createLinkStore(deps.db);
  const refreshes = deps.metrics?.counter('xero_refresh_total', 'Grant refresh outcomes', ['outcome', 'reason']);
  const checks = deps.metrics?.counter('xero_checks_total', 'Connection check outcomes', ['outcome', 'cause']);
  const refresher = createRefresher({
    grants,
    gateway,
    clock,
    log,
    owner: newOwnerId(),
    timeoutMs: deps.settings.timeoutMs,
    retryDelayMs: deps.refreshRetryDelayMs,
    onOutcome: (outcome, reason) => refreshes?.inc({ outcome, reason }),
  });
  const prober = createProber({
    ...(deps.settings.tenantProbeIntervalMs !== undefined ? { tenantProbeIntervalMs: deps.settings.tenantProbeIntervalMs } : {}),
    ...(deps.settings.tenantProbeBusyShare ? { probeBudgetRoomy: () => budget.appShareUsed() < deps.settings.tenantProbeBusyShare! } : {}),
    connections: deps.connections,
    gateway,
    refresher,
    connectionLog: deps.connectionLog,
    clock,
    log,
    onOutcome: (o) => checks?.inc({ outcome: o.ok ? 'ok' : 'failure', cause: o.ok ? '' : o.cause }),
  });
  const router = xeroOAuthRouter({
    db: deps.db,
    links,
    cipher,
    gateway,
    connectionLog: deps.connectionLog,
    clock,
    log,
    onConsentBound: deps.onConsentBound,
    onFreshLink: deps.onFreshLink,
    onConsentRefused: deps.onConsentRefused,
    ...(deps.events ? { events: deps.events } : {}),
  });
  const issue = (input: IssueLinkInput) => issueLink({ links: links.links, clock, publicUrl: deps.publicUrl }, input);

  return {
    router,
    refresher,
    gateway,
    budget,
    callRate,
    newCycle: (): CheckCycle => ({ id: randomUUID() }),
    // A check makes one tenant call and, for the first tenant of its grant in a cycle, one
    // GET /connections: two calls is the most it can cost.
    checkCapacity: () => Math.floor(budget.appSpare() / CALLS_PER_CHECK),
    probeConnection: (target: CheckTarget | string, cycle: CheckCycle) => prober.probeConnection(target, cycle),
    disconnect: (connectionId: string, actor: ChatActor) =>
      disconnectConnection({ db: deps.db, grants, gateway, refresher, connectionLog: deps.connectionLog, clock, log }, connectionId, actor),
    issueLink: issue,
    storedTokens: {
      currentKeyId: cipher.currentKeyId,
      survey: () => surveyStoredTokens(deps.db, cipher),
      reencrypt: () => reencryptStoredTokens(deps.db, cipher),
    },
    linkIssuer: {
      async issue(input) {
        const issued = await issue(
          input.purpose === 'reconnect'
            ? { purpose: 'reconnect', actor: input.actor, connectionId: input.connectionId ?? '', connectionIds: input.connectionIds, incidentId: input.incidentId }
            : { purpose: 'connect', actor: input.actor },
        );
        // A reconnect for a connection that no longer exists is a bug in the caller.
        if (!issued.ok) throw new Error(`cannot issue a reconnect link: ${issued.error.code}`);
        return { url: issued.value.url, expiresAt: issued.value.expiresAt };
      },
      hasLiveLink: (connectionId, person, since) => links.hasLiveLink(connectionId, person, since, clock.now()),
    },
  };
}

/** The adapter's settings from the service config. */
export function xeroSettingsFrom(config: Config): XeroSettings {
  return {
    clientId: config.XERO_CLIENT_ID,
    clientSecret: config.XERO_CLIENT_SECRET,
    redirectUri: config.xeroRedirectUri,
    scopes: config.XERO_SCOPES,
    identityUrl: config.XERO_IDENTITY_URL,
    apiUrl: config.XERO_API_URL,
    timeoutMs: config.XERO_TIMEOUT,
    tenantProbeIntervalMs: config.TENANT_PROBE_INTERVAL,
    tenantProbeBusyShare: config.TENANT_PROBE_BUSY_SHARE,
  };
}

export type { XeroSettings } from './gateway.ts';
