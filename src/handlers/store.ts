// What the handlers need from storage: the repositories they read and write, and a unit
// of work that commits a state change, its log row and its outbox rows together. The handlers own
// this contract; the database adapter implements it over Prisma (DESIGN.md section 10: dependencies
// point inward). Row types are the handlers' own (rows.ts).
import type {
  ChatTargetRecord as ChatTargetModel,
  ConnectionLogRecord as ConnectionLogModel,
  ConnectionRecord as ConnectionModel,
  EventDeliveryRecord,
  GrantRecord as GrantModel,
  IncidentRecord as IncidentModel,
  NoticeRecord as NoticeModel,
} from './rows.ts';
import type { ConnectionState } from '../domain/states.ts';
import type { View } from '../domain/views/model.ts';
import type { ChatAddress, LogEntry, OutboxKind } from './ports.ts';
import type { ConnectionSnapshot, EndpointHealth, EventType, IncidentSnapshot } from '../domain/events.ts';
import type { ChatActor } from '../domain/permissions.ts';
import type { GrantTokensRepo, LinksRepo, XeroConnectionsRepo } from './xero-repos.ts';

// ---- rows ----

export type ConnectionRow = ConnectionModel;
export type IncidentRow = IncidentModel;
export type ChatTargetRow = ChatTargetModel;
export type IncidentWithConnection = IncidentRow & { connection: ConnectionRow };
/** `incidents` holds the open incident, if any (at most one: a unique index says so). */
export type ConnectionWithOpenIncident = ConnectionRow & { incidents: IncidentRow[] };
export type ConnectionWithGrant = ConnectionRow & {
  grant: Pick<GrantModel, 'refreshedAt' | 'createdAt'> | null;
  /** The open incident's owner and snooze (at most one open incident). */
  incidents: Pick<IncidentRow, 'ownedBy' | 'ownedAt' | 'snoozedUntil' | 'missingScopes'>[];
};
export type FailureLogRow = ConnectionLogModel & { connection: Pick<ConnectionRow, 'tenantName'> | null };
/** A grouped notice, with its organisation list decoded. */
export type Notice = Omit<NoticeModel, 'organisations'> & { organisations: string[] };
/** A grant whose connections are all paused: nothing checks it, so nothing refreshes its tokens. */
export type PausedGrant = Pick<GrantModel, 'id' | 'refreshFailures'> & { connections: Pick<ConnectionRow, 'id' | 'tenantId'>[] };
/** A summary message announced lately (IncidentsRepo.recentGroups). */
export type RecentGroup = { alertKey: string; members: number; lastAnnouncedAt: Date; alertTargetId: string | null };
/** One channel copy of a posted alert, summary or notice: where later edits and replies go. */
export type PostedCopy = { platform: string; messageKey: string; address: ChatAddress; targetId: string | null };

// ---- inputs ----

/** Columns a handler may set on a connection (identity, relations and the check lease are the store's). */
export type ConnectionPatch = Partial<
  Omit<ConnectionRow, 'id' | 'tenantId' | 'grantId' | 'alertTargetId' | 'createdAt' | 'updatedAt' | 'checkLeaseOwner' | 'checkLeaseUntil'>
>;
/** Columns a handler may set on an incident. */
export type IncidentPatch = Partial<Omit<IncidentRow, 'id' | 'connectionId' | 'createdAt' | 'updatedAt'>>;
/** Equality guards of a compare-and-set on an incident (e.g. `{ status: 'open', disconnectedAt: null }`). */
export type IncidentGuard = Partial<Omit<IncidentRow, 'id' | 'createdAt' | 'updatedAt'>>;

export type NewIncident = {
  connectionId: string;
  cause: string;
  now: Date;
  brokenSince: Date;
  httpStatus?: number | undefined;
  xeroError?: string | undefined;
  /** permission_missing found from the grant's scopes: the needed scopes it lacks. */
  missingScopes?: readonly string[] | undefined;
  nextReminderAt: Date;
};

/** Why a message exists, so the worker can act when it cannot be delivered (unreachable user). */
export type OutboxMeta = {
  incidentId?: string;
  connectionId?: string;
  /** connector: the person who connected the org; admin: a configured admin; asker: whoever clicked or typed; owner: who said "I'm on it". */
  recipient?: 'connector' | 'admin' | 'asker' | 'owner';
  purpose?: 'alert' | 'reconnect' | 'reminder' | 'connected' | 'notice' | 'step' | 'answer';
};

export type OutboxInput = {
  dedupeKey: string;
  platform: string;
  kind: OutboxKind;
  address: ChatAddress;
  view: View;
  /** ChatMessage key this row creates (post, reply, dm) or edits (update). */
  messageKey?: string;
  /** For replies: the thread parent's ChatMessage key. */
  parentKey?: string;
  targetId?: string;
  meta?: OutboxMeta;
  notBefore?: Date;
};

export type AlertChannelInput = { platform: string; externalId: string; name?: string | undefined; teamId?: string | undefined; conversationReference?: string | undefined };

// ---- repositories ----

export interface ConnectionsRepo {
  get(id: string): Promise<ConnectionRow | null>;
  /** Every connection, by organisation name. */
  list(): Promise<ConnectionRow[]>;
  /** Every connection's id and organisation name only, by name: what a command's `<org>` is matched against. */
  names(): Promise<{ id: string; tenantName: string }[]>;
  /** With the grant's refresh time, for /xero status. */
  listWithGrant(): Promise<ConnectionWithGrant[]>;
  /** Degraded connections, for the grouped transient notice. */
  listDegraded(): Promise<ConnectionRow[]>;
  /** Per grant (`no-grant:<connection id>` for a connection without one), its latest check at or after `since`. */
  lastChecksSince(since: Date): Promise<{ grant: string; at: Date }[]>;
  getWithOpenIncident(id: string): Promise<ConnectionWithOpenIncident | null>;
  /** Compare-and-set check lease: true for exactly one claimant while the lease is free or expired. */
  claim(id: string, owner: string, now: Date, leaseMs: number, requireDue: boolean): Promise<boolean>;
  /** Extends the check leases `owner` still holds on `ids` to `now + leaseMs`; returns how many it holds. */
  renew(ids: readonly string[], owner: string, now: Date, leaseMs: number): Promise<number>;
  /** Ends the caller's check lease and writes `data`; false when the lease was lost meanwhile. */
  release(id: string, owner: string, data: ConnectionPatch): Promise<boolean>;
  /** Like release, only while the connection is still in `state`. */
  releaseIf(id: string, owner: string, state: string, data: ConnectionPatch): Promise<boolean>;
  /** A state change guarded by the state it expects; stamps stateSince when the state changes. */
  transition(id: string, from: ConnectionState, to: ConnectionState, now: Date, data?: ConnectionPatch): Promise<boolean>;
  update(id: string, data: ConnectionPatch): Promise<void>;
  /** Moves every connection whose own alert channel is one of `fromTargetIds` to `toTargetId`. */
  setAlertTargetFrom(fromTargetIds: string[], toTargetId: string): Promise<number>;
  log(entry: LogEntry): Promise<void>;
  recentFailures(options: { connectionId?: string; limit: number }): Promise<FailureLogRow[]>;
}

export interface IncidentsRepo {
  get(id: string): Promise<IncidentWithConnection | null>;
  findOpen(connectionId: string): Promise<IncidentRow | null>;
  /** The most recently resolved incident of a connection. */
  latestResolved(connectionId: string): Promise<IncidentRow | null>;
  open(data: NewIncident): Promise<IncidentRow>;
  /** Compare-and-set: writes `patch` only while the incident matches `guard`. */
  updateIf(id: string, guard: IncidentGuard, patch: IncidentPatch): Promise<boolean>;
  /** A check found the open incident's break again: one more detection, at `at`. */
  recordDetection(id: string, at: Date): Promise<boolean>;
  /** Open incidents still waiting for their announcement (group window), oldest first; held ones wait for their hold. */
  pendingAnnouncement(limit?: number): Promise<IncidentWithConnection[]>;
  /**
   * Incidents of these causes opened at or after `since`, whatever became of them: their grant (as
   * lastChecksSince names it), when, and whether the grant's stored scopes alone found it.
   */
  openedSince(causes: readonly string[], since: Date): Promise<{ grant: string; at: Date; fromScopes: boolean }[]>;
  /** Holds the alerts of these open, unannounced, never-held incidents behind notice `noticeId`; returns how many. */
  hold(ids: readonly string[], noticeId: string): Promise<number>;
  /** Every incident notice `noticeId` held (still held or released). */
  heldBy(noticeId: string): Promise<IncidentWithConnection[]>;
  /** Ends the hold of notice `noticeId`: its open incidents wait for their announcement as usual. */
  releaseHeld(noticeId: string): Promise<number>;
  lastAnnouncedAt(): Promise<Date | null>;
  dueReminders(now: Date, limit?: number): Promise<IncidentWithConnection[]>;
  /** Every incident shown in one alert or summary message. */
  byAlertKey(alertKey: string): Promise<IncidentWithConnection[]>;
  /** The alert (or summary) keys of open, announced incidents. */
  openAlertKeys(): Promise<string[]>;
  /**
   * Messages whose key starts with `prefix` (summaries) that had an incident announced in them at
   * or after `since`: each with how many incidents it shows (resolved ones included), when the
   * last one joined, and the own alert channel of one of them (null: the default channels).
   */
  recentGroups(prefix: string, since: Date): Promise<RecentGroup[]>;
}

export interface NoticesRepo {
  findOpen(kind: string): Promise<Notice | null>;
  open(kind: string, organisations: string[], now: Date): Promise<Notice>;
  /** Compare-and-set on the update count: one replica grows the notice once. */
  grow(id: string, updates: number, organisations: string[]): Promise<boolean>;
  close(id: string, now: Date): Promise<boolean>;
}

export interface OutboxRepo {
  /** Queues each message once: a dedupe key already present is skipped. Returns how many were new. */
  enqueue(inputs: readonly OutboxInput[], now: Date): Promise<number>;
  /** Channel copies posted (or queued) under a message key prefix, e.g. every copy of one alert. */
  postedCopies(prefix: string): Promise<PostedCopy[]>;
}

export interface ChatTargetsRepo {
  get(id: string): Promise<ChatTargetRow | null>;
  alertChannels(): Promise<ChatTargetRow[]>;
  find(platform: string, kind: 'channel' | 'user', externalId: string): Promise<ChatTargetRow | null>;
  /** Makes this conversation the platform's alert channel; `previous` are the ids it replaces. */
  makeAlertChannel(input: AlertChannelInput): Promise<{ target: ChatTargetRow; previous: string[] }>;
  /** The newest person of a platform whose stored reference contains `fragment` (another id of theirs). */
  findUserByReference(platform: string, fragment: string): Promise<ChatTargetRow | null>;
  /** Remembers how to reach a person (the reference as the chat adapter serialised it); `name` when known. */
  saveUserReference(platform: string, userId: string, reference: string, name?: string): Promise<void>;
  /** Targets of a platform holding a reference: the alert channel first, then newest first. */
  withReferences(platform: string, limit: number): Promise<ChatTargetRow[]>;
}

export interface LeasesRepo {
  /** A named lease shared by replicas: true while it is free, expired, or already `owner`'s. */
  acquire(name: string, owner: string, now: Date, ttlMs: number): Promise<boolean>;
  release(name: string, owner: string): Promise<void>;
}

export interface GrantsRepo {
  /**
   * Grants that still hold tokens, have a paused connection and no watched one, and were last
   * refreshed (or created) before `idleSince`; those without failed refreshes first, then most idle.
   */
  pausedIdle(idleSince: Date, limit: number): Promise<PausedGrant[]>;
  /**
   * Lets the grants of the open incidents notice `noticeId` holds offer their refresh token to Xero
   * again, though Xero refused it: during Xero-wide trouble a refusal may not be final (Xero once
   * honoured refused tokens again). Returns how many grants it freed.
   */
  retryRefusedHeldBy(noticeId: string): Promise<number>;
}

/** A change the host app hears about: the store reads the rows it describes in the same transaction. */
export type EventDraft = {
  type: EventType;
  connectionId: string;
  previousState: string | null;
  /** The incident it is about when that is no longer the open one (just resolved). */
  incidentId?: string | null;
  actor?: ChatActor | null;
  at: Date;
};

/** Which endpoints take which events (from WEBHOOK_ENDPOINTS). */
export type EventRouting = { endpoints: readonly { name: string; events: readonly EventType[] | 'all' }[] };

export interface EventsRepo {
  /**
   * Writes the event and one delivery per endpoint that takes its type, in the caller's
   * transaction, next in the connection's order. With no endpoint for the type it writes nothing.
   */
  emit(draft: EventDraft): Promise<void>;
  /** Every configured endpoint, and whether it is down. */
  health(): Promise<EndpointHealth[]>;
  /** Connections (one, by tenant id, or all by name) with their open incident: what the read API answers. */
  readConnections(tenantId?: string): Promise<{ connection: ConnectionSnapshot; openIncident: IncidentSnapshot | null }[]>;
}

export type Repos = {
  connections: ConnectionsRepo;
  incidents: IncidentsRepo;
  notices: NoticesRepo;
  outbox: OutboxRepo;
  targets: ChatTargetsRepo;
  leases: LeasesRepo;
  grants: GrantsRepo;
  events: EventsRepo;
  /** Grants' sealed tokens (the Xero adapter's refresher, the consent). */
  grantTokens: GrantTokensRepo;
  /** Connections as Xero knows them (probe, disconnect, consent). */
  xeroConnections: XeroConnectionsRepo;
  /** Single-use links and their trips to Xero. */
  links: LinksRepo;
};

/** One event on its way to one endpoint, as the delivery worker claims it. */
export type EventDeliveryRow = Pick<EventDeliveryRecord, 'id' | 'eventId' | 'endpoint' | 'connectionId' | 'seq' | 'status' | 'attempts' | 'createdAt' | 'leaseOwner'>;

/** Webhook deliveries (src/adapters/events/worker.ts): claims in per-connection order, results, clean-up. */
export interface EventDeliveriesRepo {
  /**
   * Deliveries ready to go (or whose sender died mid-flight), each the first unfinished one of
   * its endpoint and connection: event N+1 waits while event N is pending, even in backoff.
   */
  findReady(now: Date, limit: number, skipEndpoints?: readonly string[]): Promise<EventDeliveryRow[]>;
  /** Compare-and-set on the row as read: exactly one worker wins. */
  claim(row: EventDeliveryRow, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  /** Extends this worker's lease while the POST runs; false once the lease is no longer ours. */
  renew(id: string, owner: string, now: Date, leaseMs: number): Promise<boolean>;
  payloadOf(eventId: string): Promise<string | null>;
  markSent(id: string, owner: string, at: Date): Promise<boolean>;
  reschedule(id: string, owner: string, nextAttemptAt: Date, error: string): Promise<boolean>;
  giveUp(id: string, owner: string, error: string): Promise<boolean>;
  /** Deliveries to an endpoint no longer configured: kept for the record, never sent. */
  abandon(endpoints: readonly string[], now: Date): Promise<number>;
  /** Finished deliveries older than `before`, and events left with none. */
  prune(before: Date): Promise<number>;
}

export type Store = Repos & {
  /** Runs `work` against the same repositories bound to one database transaction. */
  transaction<T>(work: (tx: Repos) => Promise<T>): Promise<T>;
};
