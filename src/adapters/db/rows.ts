// Prisma stores states and causes as plain text; the handlers see the domain's unions. Rows are
// mapped here, once, as they leave the database: a value the domain does not know is a corrupt
// row, reported as such instead of travelling on as a string.
import { CAUSES, type Cause } from '../../domain/causes.ts';
import { STATES, type ConnectionState } from '../../domain/states.ts';

export class CorruptRowError extends Error {
  readonly code = 'xero_guard_corrupt_row';
  constructor(table: string, column: string, value: string) {
    super(`${table}.${column} holds "${value}", which this version does not know`);
  }
}

/** A connection's state as stored, checked against the states this version knows. */
export function stateOf(value: string): ConnectionState {
  return state('Connection', 'state', value);
}

function state(table: string, column: string, value: string): ConnectionState {
  if ((STATES as readonly string[]).includes(value)) return value as ConnectionState;
  throw new CorruptRowError(table, column, value);
}

function cause(table: string, column: string, value: string): Cause {
  if ((CAUSES as readonly string[]).includes(value)) return value as Cause;
  throw new CorruptRowError(table, column, value);
}

const DELIVERY_STATUSES = ['pending', 'sending', 'sent', 'dead'] as const;

/** EventDelivery.status as the handlers' union (a corrupt row throws). */
export function deliveryStatus(value: string): (typeof DELIVERY_STATUSES)[number] {
  if ((DELIVERY_STATUSES as readonly string[]).includes(value)) return value as (typeof DELIVERY_STATUSES)[number];
  throw new CorruptRowError('EventDelivery', 'status', value);
}

type StoredConnection = { state: string; stateBeforePause: string | null; lastCause: string | null };
type StoredIncident = { cause: string };

export type AsConnection<T extends StoredConnection> = Omit<T, 'state' | 'stateBeforePause' | 'lastCause' | 'incidents'> & {
  state: ConnectionState;
  stateBeforePause: ConnectionState | null;
  lastCause: Cause | null;
} & (T extends { incidents: infer I extends StoredIncident[] } ? { incidents: AsIncident<I[number]>[] } : unknown);

export type AsIncident<T extends StoredIncident> = Omit<T, 'cause' | 'connection'> & { cause: Cause } & (T extends {
  connection: infer C extends StoredConnection;
}
  ? { connection: AsConnection<C> }
  : unknown);

export function asConnection<T extends StoredConnection>(row: T): AsConnection<T> {
  const mapped: Record<string, unknown> = {
    ...row,
    state: state('Connection', 'state', row.state),
    stateBeforePause: row.stateBeforePause === null ? null : state('Connection', 'stateBeforePause', row.stateBeforePause),
    lastCause: row.lastCause === null ? null : cause('Connection', 'lastCause', row.lastCause),
  };
  const incidents = (row as { incidents?: StoredIncident[] }).incidents;
  if (incidents) mapped.incidents = incidents.map(asIncident);
  return mapped as AsConnection<T>;
}

export function asIncident<T extends StoredIncident>(row: T): AsIncident<T> {
  const mapped: Record<string, unknown> = { ...row, cause: cause('Incident', 'cause', row.cause) };
  const connection = (row as { connection?: StoredConnection }).connection;
  if (connection) mapped.connection = asConnection(connection);
  return mapped as AsIncident<T>;
}

export const maybe =
  <T, R>(map: (row: T) => R) =>
  (row: T | null): R | null =>
    row === null ? null : map(row);
