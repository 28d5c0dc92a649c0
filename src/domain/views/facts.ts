// The plain facts the view builders read. Database rows satisfy these structurally, so builders
// stay pure and tests build them by hand.
import type { Platform } from '../permissions.ts';
import type { Person } from './model.ts';
import { PLATFORMS } from '../permissions.ts';
import type { ConnectionState } from '../states.ts';
import type { Cause } from '../causes.ts';

export type ConnectionFacts = {
  id: string;
  tenantName: string;
  state: ConnectionState;
  stateSince: Date;
  connectedByPlatform: string;
  connectedByUserId: string;
  connectedByName: string | null;
  lastGoodCheckAt: Date | null;
  lastCause: Cause | null;
};

export type IncidentFacts = {
  id: string;
  connectionId: string;
  cause: Cause;
  status: string;
  openedAt: Date;
  brokenSince: Date;
  httpStatus: number | null;
  xeroError: string | null;
  disconnectedAt: Date | null;
  disconnectedBy: string | null;
  confirmedXeroAt: Date | null;
  confirmedXeroBy: string | null;
  reconnectRequestedAt: Date | null;
  reconnectRequestedBy: string | null;
  reconnectedAt: Date | null;
  reconnectedBy: string | null;
  resolvedAt: Date | null;
  ownedBy?: string | null;
  ownedAt?: Date | null;
  snoozedUntil?: Date | null;
  snoozedBy?: string | null;
  resolutionNote?: string | null;
  resolutionNoteBy?: string | null;
  resolutionNoteAt?: Date | null;
  /** JSON list of reconnect links sent (src/domain/views/alert.ts); absent in older facts. */
  linksSent?: string | null;
  /** The last reconnect did not hold: advise the full reset. */
  resetAdvised?: boolean;
  /** permission_missing found from the grant's scopes: the needed scopes it lacks, space-separated. */
  missingScopes?: string | null;
};

export function connectorOf(connection: Pick<ConnectionFacts, 'connectedByPlatform' | 'connectedByUserId' | 'connectedByName'>): Person {
  const platform = (PLATFORMS as readonly string[]).includes(connection.connectedByPlatform)
    ? (connection.connectedByPlatform as Platform)
    : 'slack';
  return { platform, userId: connection.connectedByUserId, ...(connection.connectedByName ? { name: connection.connectedByName } : {}) };
}

/** Actors are stored as JSON in the incident's "...By" columns. */
export function encodePerson(person: { platform: Platform; userId: string; name?: string }): string {
  return JSON.stringify({ platform: person.platform, userId: person.userId, ...(person.name ? { name: person.name } : {}) });
}

export function decodePerson(text: string | null): Person | undefined {
  if (!text) return undefined;
  try {
    const value = JSON.parse(text) as { platform?: unknown; userId?: unknown; name?: unknown };
    if (typeof value.userId !== 'string' || typeof value.platform !== 'string') return undefined;
    if (!(PLATFORMS as readonly string[]).includes(value.platform)) return undefined;
    return { platform: value.platform as Platform, userId: value.userId, ...(typeof value.name === 'string' ? { name: value.name } : {}) };
  } catch {
    // Written only by encodePerson; an unreadable value shows as "someone" rather than failing a view.
    return undefined;
  }
}
