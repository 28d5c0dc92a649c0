// The rows the handlers read and write, in their own terms: states and causes as the domain's
// unions, times as dates. The database adapter maps Prisma's rows onto these at its boundary, so
// nothing inward of src/adapters/db depends on generated code.
import type { Cause } from '../domain/causes.ts';
import type { LinkPurpose } from '../domain/consent.ts';
import type { Platform } from '../domain/permissions.ts';
import type { ConnectionState } from '../domain/states.ts';
import type { IncidentFacts } from '../domain/views/facts.ts';

/** A row of Grant, as the handlers see it. */
export type GrantRecord = {
  id: string;
  xeroUserId: string;
  xeroUserEmail: string | null;
  xeroUserName: string | null;
  accessTokenEnc: string | null;
  refreshTokenEnc: string | null;
  previousRefreshTokenEnc: string | null;
  accessTokenExpiresAt: Date | null;
  refreshedAt: Date | null;
  scopes: string;
  authEventId: string | null;
  version: number;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  refreshFailures: number;
  /** Xero refused the stored refresh token (invalid_grant): only a new consent brings the grant back. */
  refusedAt: Date | null;
  revokedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/** A row of Connection, as the handlers see it. */
export type ConnectionRecord = {
  id: string;
  tenantId: string;
  tenantName: string;
  tenantType: string;
  xeroConnectionId: string | null;
  grantId: string | null;
  state: ConnectionState;
  stateSince: Date;
  stateBeforePause: ConnectionState | null;
  connectedByPlatform: string;
  connectedByUserId: string;
  connectedByName: string | null;
  xeroUserId: string | null;
  alertTargetId: string | null;
  syncFrom: Date | null;
  lastCheckAt: Date | null;
  lastGoodCheckAt: Date | null;
  nextCheckAt: Date;
  checkLeaseOwner: string | null;
  checkLeaseUntil: Date | null;
  consecutiveFailures: number;
  degradedSince: Date | null;
  lastCause: Cause | null;
  /** When the tenant probe last answered well (src/domain/tenant-probe.ts). */
  tenantProbedAt: Date | null;
  createdAt: Date;
  updatedAt: Date;
};

/**
 * What a check needs to know of a connection: the caller has read the row already. `state` and
 * `tenantProbedAt` decide whether the tenant itself is asked (src/domain/tenant-probe.ts).
 */
export type CheckTarget = Pick<ConnectionRecord, 'id' | 'tenantId' | 'tenantName' | 'grantId' | 'xeroConnectionId' | 'state' | 'tenantProbedAt'>;

/**
 * A row of Incident, as the handlers see it: the facts an alert is drawn from (every one present,
 * as stored) and the columns only the lifecycle uses.
 */
export type IncidentRecord = Required<IncidentFacts> & {
  openKey: string | null;
  lastDetectedAt: Date;
  detections: number;
  alertKey: string | null;
  announcedAt: Date | null;
  /** True while its alert waits behind a "Xero may be having trouble" notice; heldBy names that notice. */
  held: boolean;
  heldBy: string | null;
  nextReminderAt: Date | null;
  remindersSent: number;
  createdAt: Date;
  updatedAt: Date;
};

/** A row of ConnectionLog, as the handlers see it. */
export type ConnectionLogRecord = {
  id: number;
  connectionId: string | null;
  tenantId: string | null;
  at: Date;
  kind: string;
  operation: string;
  outcome: string;
  httpStatus: number | null;
  xeroError: string | null;
  cause: string | null;
  fromState: string | null;
  toState: string | null;
  actorPlatform: string | null;
  actorId: string | null;
  actorName: string | null;
  detail: string | null;
};

/** A row of ChatTarget, as the handlers see it. */
export type ChatTargetRecord = {
  id: string;
  platform: string;
  kind: string;
  externalId: string;
  name: string | null;
  conversationReference: string | null;
  isAlertChannel: boolean;
  createdAt: Date;
  updatedAt: Date;
};

/** A row of Notice, as the handlers see it. */
export type NoticeRecord = {
  id: string;
  kind: string;
  openKey: string | null;
  openedAt: Date;
  closedAt: Date | null;
  organisations: string;
  updates: number;
  createdAt: Date;
  updatedAt: Date;
};


/** A row of LinkToken (a connect or reconnect link), as the handlers see it. */
export type LinkRecord = {
  id: string;
  purpose: LinkPurpose;
  platform: Platform;
  chatUserId: string;
  chatUserName: string | null;
  /** Reconnect: every connection the link repairs. */
  connectionIds: string[];
  incidentId: string | null;
  expiresAt: Date;
  usedAt: Date | null;
  renewedAt: Date | null;
};

/** A row of ConsentAttempt (one trip to Xero's consent page), as the handlers see it. */
export type ConsentAttemptRecord = { id: string; nonce: string; verifierEnc: string; outcome: string | null };

/** A row of EventDelivery (one event on its way to one endpoint), as the handlers see it. */
export type EventDeliveryRecord = {
  id: string;
  eventId: string;
  endpoint: string;
  connectionId: string;
  seq: number;
  status: 'pending' | 'sending' | 'sent' | 'dead';
  attempts: number;
  nextAttemptAt: Date;
  leaseOwner: string | null;
  leaseUntil: Date | null;
  lastAttemptAt: Date | null;
  lastError: string | null;
  deliveredAt: Date | null;
  createdAt: Date;
};
