// The Xero adapter, assembled: XeroPort for the checks and the buttons (probe, disconnect), the
// Xero half of a consent (XeroConsentPort), the refresher, the rate budget and the stored tokens'
// keys. The composition root builds one per process with createXeroAdapter(). It keeps nothing in
// the database itself: grants and connections come in as the handlers' repositories.
import { createCallRate, type CallRate } from '../observability/call-rate.ts';
import { randomUUID } from 'node:crypto';
import type { Config } from '../../config.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import type { CheckCycle, CheckOutcome, CheckTarget, Clock, ConnectionLogWriter, XeroConsentPort, XeroPort } from '../../handlers/ports.ts';
import type { GrantTokensRepo, XeroConnectionsRepo } from '../../handlers/xero-repos.ts';
import type { Logger } from '../observability/logger.ts';
import type { Metrics } from '../observability/metrics.ts';
import { createConsentTrips } from './consent-trip.ts';
import { createProber } from './probe-connection.ts';
import { disconnectConnection } from './disconnect.ts';
import { createXeroGateway, type XeroGateway, type XeroSettings } from './gateway.ts';
import { createGrantStore } from './grant-store.ts';
import { RateBudget, type BudgetLimits, type SharedAppWindow } from './rate-budget.ts';
import { createRefresher, newOwnerId, type Refresher } from './refresh-grant.ts';
import { reencryptStoredTokens, surveyStoredTokens, type ReencryptReport, type TokenSurvey } from './stored-token-keys.ts';
import { createTokenCipher, type EncryptionKey } from './token-cipher.ts';

export type XeroAdapterDeps = {
  /** Grants and connections (src/adapters/db/xero-repos.ts). */
  repos: { grantTokens: GrantTokensRepo; xeroConnections: XeroConnectionsRepo };
  settings: XeroSettings;
  encryptionKeys: readonly EncryptionKey[];
  connectionLog: ConnectionLogWriter;
  log: Logger;
  clock?: Clock;
  metrics?: Metrics;
  limits?: Partial<BudgetLimits>;
  /** Xero's app-wide minute shared with other replicas (PostgreSQL); without it this process counts alone. */
  sharedBudget?: SharedAppWindow;
  /** Tests shorten the pauses between refresh retries. */
  refreshRetryDelayMs?: number;
};

export type XeroAdapter = XeroPort & {
  /** The port's probe; tests and tools may pass just the connection's id. */
  probeConnection(target: CheckTarget | string, cycle: CheckCycle): Promise<CheckOutcome>;
  refresher: Refresher;
  gateway: XeroGateway;
  budget: RateBudget;
  /** Calls this replica made to Xero, as a daily rate. */
  callRate: CallRate;
  /** The Xero half of a consent, for the consent handler. */
  consent: XeroConsentPort;
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
  const budgetWait = deps.metrics?.histogram('xero_budget_wait_seconds', 'How long a call to Xero waited for room in the rate budget', ['operation'], [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5]);
  const gateway = createXeroGateway(deps.settings, budget, {
    onCall: (operation) => {
      calls?.inc({ operation });
      callRate.record();
    },
    onBudgetWait: (operation, ms) => budgetWait?.observe({ operation }, ms / 1000),
  });
  const { grantTokens, xeroConnections } = deps.repos;
  const grants = createGrantStore(grantTokens, cipher);
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
    connections: xeroConnections,
    gateway,
    refresher,
    connectionLog: deps.connectionLog,
    clock,
    log,
    onOutcome: (o) => checks?.inc({ outcome: o.ok ? 'ok' : 'failure', cause: o.ok ? '' : o.cause }),
  });

  return {
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
      disconnectConnection({ connections: xeroConnections, grants, gateway, refresher, connectionLog: deps.connectionLog, clock, log }, connectionId, actor),
    consent: createConsentTrips({ gateway, cipher, grants }),
    storedTokens: {
      currentKeyId: cipher.currentKeyId,
      survey: () => surveyStoredTokens({ grants: grantTokens, connections: xeroConnections }, cipher),
      reencrypt: () => reencryptStoredTokens(grantTokens, cipher),
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
