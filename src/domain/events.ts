// Events for the host app (DESIGN.md section 8.1): what a webhook says about a connection, and the
// same facts as the read API answers them. Pure: the callers read the rows and pass `at`.
import { isCause, type Cause } from './causes.ts';
import { CAUSE_WORDING } from './views/wording.ts';
import { decodePerson } from './views/facts.ts';
import type { Person } from './views/model.ts';

export const EVENT_TYPES = [
  'connection.connected',
  'connection.degraded',
  'connection.broken',
  'connection.restored',
  'connection.disconnected',
  'connection.paused',
  'connection.resumed',
] as const;
export type EventType = (typeof EVENT_TYPES)[number];

export function isEventType(value: string): value is EventType {
  return (EVENT_TYPES as readonly string[]).includes(value);
}

/** The connection columns an event or an API answer reads. */
export type ConnectionSnapshot = {
  id: string;
  tenantId: string;
  tenantName: string;
  state: string;
  stateSince: Date;
  lastCause: string | null;
  lastCheckAt: Date | null;
  lastGoodCheckAt: Date | null;
  syncFrom: Date | null;
};

/** The incident columns an event or an API answer reads. */
export type IncidentSnapshot = {
  id: string;
  cause: string;
  status: string;
  openedAt: Date;
  brokenSince: Date;
  reconnectRequestedAt: Date | null;
  reconnectedAt: Date | null;
  reconnectedBy: string | null;
  resolvedAt: Date | null;
};

export type CauseFacts = { code: Cause; summary: string; description: string };
export type PersonFacts = { platform: string; userId: string; name: string | null };
export type IncidentFacts = {
  id: string;
  status: 'open' | 'resolved';
  cause: CauseFacts | null;
  openedAt: string;
  brokenSince: string;
  reconnectRequestedAt: string | null;
  resolvedAt: string | null;
};

export type ConnectionEventBody = {
  type: EventType;
  timestamp: string;
  data: {
    connectionId: string;
    /** Per connection, 1, 2, 3…: receivers may use it to spot a gap or a repeat. */
    sequence: number;
    organisation: { tenantId: string; name: string };
    state: string;
    previousState: string | null;
    cause: CauseFacts | null;
    brokenSince: string | null;
    syncFrom: string | null;
    recoveredAfterSeconds: number | null;
    reconnectedBy: PersonFacts | null;
    actor: PersonFacts | null;
    incident: IncidentFacts | null;
  };
};

export type EventInput = {
  type: EventType;
  connection: ConnectionSnapshot;
  previousState: string | null;
  /** The incident the event is about: the open one, or the one this change resolved. */
  incident: IncidentSnapshot | null;
  actor: Person | null;
  sequence: number;
  at: Date;
};

export function causeFacts(code: string | null | undefined): CauseFacts | null {
  if (!code || !isCause(code)) return null;
  return { code, summary: CAUSE_WORDING[code].headline, description: CAUSE_WORDING[code].explanation };
}

function personFacts(person: Person | undefined | null): PersonFacts | null {
  return person ? { platform: person.platform, userId: person.userId, name: person.name ?? null } : null;
}

export function incidentFacts(incident: IncidentSnapshot | null): IncidentFacts | null {
  if (!incident) return null;
  return {
    id: incident.id,
    status: incident.status === 'open' ? 'open' : 'resolved',
    cause: causeFacts(incident.cause),
    openedAt: incident.openedAt.toISOString(),
    brokenSince: incident.brokenSince.toISOString(),
    reconnectRequestedAt: incident.reconnectRequestedAt?.toISOString() ?? null,
    resolvedAt: incident.resolvedAt?.toISOString() ?? null,
  };
}

/**
 * The body of one webhook. `connection.broken` carries the cause and since when; `restored` the
 * point to re-sync from, how long it took and who reconnected (null when it healed by itself, for
 * example access given back in Xero).
 */
export function connectionEvent(input: EventInput): ConnectionEventBody {
  const { type, connection, incident, at } = input;
  const restored = type === 'connection.restored';
  const brokenSince = incident ? incident.brokenSince : null;
  const syncFrom = restored ? (brokenSince ?? connection.syncFrom) : connection.syncFrom;
  const reconnectedBy = restored && incident ? (decodePerson(incident.reconnectedBy) ?? input.actor ?? undefined) : undefined;
  const cause = causeFacts(incident?.cause ?? (connection.state === 'connected' ? null : connection.lastCause));
  return {
    type,
    timestamp: at.toISOString(),
    data: {
      connectionId: connection.id,
      sequence: input.sequence,
      organisation: { tenantId: connection.tenantId, name: connection.tenantName },
      state: connection.state,
      previousState: input.previousState,
      cause,
      brokenSince: brokenSince?.toISOString() ?? null,
      syncFrom: syncFrom?.toISOString() ?? null,
      recoveredAfterSeconds: restored && brokenSince ? Math.max(0, Math.round(((incident?.resolvedAt ?? at).getTime() - brokenSince.getTime()) / 1000)) : null,
      reconnectedBy: personFacts(reconnectedBy),
      actor: personFacts(input.actor),
      incident: incidentFacts(incident),
    },
  };
}

/** One connection as GET /api/v1/connections answers it. */
export type ConnectionResource = {
  connectionId: string;
  organisation: { tenantId: string; name: string };
  state: string;
  since: string;
  paused: boolean;
  cause: CauseFacts | null;
  lastCheckAt: string | null;
  lastGoodCheckAt: string | null;
  openIncident: IncidentFacts | null;
  syncFrom: string | null;
};

export function connectionResource(connection: ConnectionSnapshot, openIncident: IncidentSnapshot | null): ConnectionResource {
  return {
    connectionId: connection.id,
    organisation: { tenantId: connection.tenantId, name: connection.tenantName },
    state: connection.state,
    since: connection.stateSince.toISOString(),
    paused: connection.state === 'paused',
    cause: causeFacts(openIncident?.cause ?? (connection.state === 'connected' ? null : connection.lastCause)),
    lastCheckAt: connection.lastCheckAt?.toISOString() ?? null,
    lastGoodCheckAt: connection.lastGoodCheckAt?.toISOString() ?? null,
    openIncident: incidentFacts(openIncident),
    syncFrom: connection.syncFrom?.toISOString() ?? null,
  };
}

// ---- delivery ----

/** Attempts that failed in a row before an endpoint counts as down (for /xero status and /metrics). */
export const DOWN_AFTER_FAILED_ATTEMPTS = 3;

/** What the delivery table says about one endpoint. */
export type EndpointHealthFacts = {
  endpoint: string;
  /** Events not yet accepted (pending or being sent). */
  waiting: number;
  /** The most attempts any waiting event has had, and when the oldest of those was written. */
  maxAttempts: number;
  oldestWaitingAt: Date | null;
  lastError: string | null;
  lastDeliveredAt: Date | null;
  /** Events given up on since the last one that got through. */
  givenUp: number;
};

export type EndpointHealth = { endpoint: string; down: boolean; reason: 'ok' | 'failing' | 'gave_up'; waiting: number; givenUp: number; since: Date | null };

export function endpointHealth(facts: EndpointHealthFacts): EndpointHealth {
  const base = { endpoint: facts.endpoint, waiting: facts.waiting, givenUp: facts.givenUp };
  if (facts.waiting > 0 && facts.maxAttempts >= DOWN_AFTER_FAILED_ATTEMPTS) return { ...base, down: true, reason: 'failing', since: facts.oldestWaitingAt };
  if (facts.givenUp > 0) return { ...base, down: true, reason: 'gave_up', since: facts.lastDeliveredAt };
  return { ...base, down: false, reason: 'ok', since: null };
}

/**
 * The wait before attempt `attempts + 1`: exponential (5 s doubling, at most an hour) with jitter
 * (half fixed, half random), never sooner than the endpoint's Retry-After.
 */
export function retryDelayMs(attempts: number, random: number, retryAfterMs?: number): number {
  const backoff = Math.min(3_600_000, 5_000 * 2 ** Math.min(Math.max(attempts - 1, 0), 20));
  const jittered = Math.round(backoff / 2 + (random * backoff) / 2);
  return Math.max(jittered, retryAfterMs ?? 0);
}

/** Retry-After as seconds or an HTTP date; undefined when absent or unreadable. */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now.getTime());
}
