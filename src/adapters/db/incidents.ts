// Incidents: one per break. `openKey` (the connection id while open, null once resolved) makes
// "one open incident per connection" a unique index, so two workers cannot open two.
import type { Prisma } from '../../generated/sqlite/client.ts';
import type { Db } from './client.ts';
import type { Client } from './connections.ts';

export type IncidentRow = Awaited<ReturnType<Db['incident']['findFirstOrThrow']>>;
export type IncidentWithConnection = IncidentRow & { connection: Awaited<ReturnType<Db['connection']['findFirstOrThrow']>> };

export function createIncidents(db: Client) {
  return {
    get(id: string): Promise<IncidentWithConnection | null> {
      return db.incident.findUnique({ where: { id }, include: { connection: true } });
    },
    findOpen(connectionId: string): Promise<IncidentRow | null> {
      return db.incident.findUnique({ where: { openKey: connectionId } });
    },
    open(data: {
      connectionId: string;
      cause: string;
      now: Date;
      brokenSince: Date;
      httpStatus?: number | undefined;
      xeroError?: string | undefined;
      nextReminderAt: Date;
    }): Promise<IncidentRow> {
      return db.incident.create({
        data: {
          connectionId: data.connectionId,
          cause: data.cause,
          openKey: data.connectionId,
          openedAt: data.now,
          brokenSince: data.brokenSince,
          lastDetectedAt: data.now,
          httpStatus: data.httpStatus ?? null,
          xeroError: data.xeroError ?? null,
          nextReminderAt: data.nextReminderAt,
        },
      });
    },
    /** Compare-and-set update: `where` adds the guard (e.g. `disconnectedAt: null`). */
    async updateIf(id: string, where: Prisma.IncidentWhereInput, data: Prisma.IncidentUpdateManyMutationInput): Promise<boolean> {
      const { count } = await db.incident.updateMany({ where: { ...where, id }, data });
      return count === 1;
    },
    /** Open incidents still waiting for their announcement (group window), oldest first. */
    pendingAnnouncement(limit = 5_000): Promise<IncidentWithConnection[]> {
      return db.incident.findMany({
        where: { status: 'open', announcedAt: null, connection: { state: { not: 'paused' } } },
        orderBy: { openedAt: 'asc' },
        take: limit,
        include: { connection: true },
      });
    },
    async lastAnnouncedAt(): Promise<Date | null> {
      const row = await db.incident.findFirst({ where: { announcedAt: { not: null } }, orderBy: { announcedAt: 'desc' }, select: { announcedAt: true } });
      return row?.announcedAt ?? null;
    },
    dueReminders(now: Date, limit = 500): Promise<IncidentWithConnection[]> {
      return db.incident.findMany({
        where: { status: 'open', announcedAt: { not: null }, nextReminderAt: { lte: now }, connection: { state: { not: 'paused' } } },
        orderBy: { nextReminderAt: 'asc' },
        take: limit,
        include: { connection: true },
      });
    },
    /** Every incident shown in one alert or summary message. */
    byAlertKey(alertKey: string): Promise<IncidentWithConnection[]> {
      return db.incident.findMany({ where: { alertKey }, orderBy: { openedAt: 'asc' }, include: { connection: true } });
    },
  };
}

export type IncidentsRepo = ReturnType<typeof createIncidents>;

export type NoticeRow = Awaited<ReturnType<Db['notice']['findFirstOrThrow']>>;

/** Grouped notices (Xero unreachable): one open per kind, through the unique `openKey`. */
export function createNotices(db: Client) {
  return {
    findOpen(kind: string): Promise<NoticeRow | null> {
      return db.notice.findUnique({ where: { openKey: kind } });
    },
    open(kind: string, organisations: string[], now: Date): Promise<NoticeRow> {
      return db.notice.create({ data: { kind, openKey: kind, openedAt: now, organisations: JSON.stringify(organisations) } });
    },
    async grow(id: string, updates: number, organisations: string[]): Promise<boolean> {
      const { count } = await db.notice.updateMany({
        where: { id, updates, closedAt: null },
        data: { organisations: JSON.stringify(organisations), updates: updates + 1 },
      });
      return count === 1;
    },
    async close(id: string, now: Date): Promise<boolean> {
      const { count } = await db.notice.updateMany({ where: { id, closedAt: null }, data: { closedAt: now, openKey: null } });
      return count === 1;
    },
  };
}

export type NoticesRepo = ReturnType<typeof createNotices>;

export function noticeOrganisations(row: NoticeRow): string[] {
  try {
    const parsed: unknown = JSON.parse(row.organisations);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    // Written only by this module as JSON; an unreadable list is shown as empty, not fatal.
    return [];
  }
}
