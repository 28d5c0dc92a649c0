// Incidents: one per break. `openKey` (the connection id while open, null once resolved) makes
// "one open incident per connection" a unique index, so two workers cannot open two.
import type { Db } from './client.ts';
import { grantKeyOf, type Client } from './connections.ts';
import { asIncident, maybe } from './rows.ts';
import type {
  IncidentGuard,
  IncidentPatch,
  IncidentRow,
  IncidentsRepo,
  IncidentWithConnection,
  NewIncident,
  Notice,
  NoticesRepo,
  RecentGroup,
} from '../../handlers/store.ts';

export function createIncidents(db: Client): IncidentsRepo {
  return {
    get(id: string): Promise<IncidentWithConnection | null> {
      return db.incident.findUnique({ where: { id }, include: { connection: true } }).then(maybe(asIncident));
    },
    findOpen(connectionId: string): Promise<IncidentRow | null> {
      return db.incident.findUnique({ where: { openKey: connectionId } }).then(maybe(asIncident));
    },
    latestResolved(connectionId: string): Promise<IncidentRow | null> {
      return db.incident.findFirst({ where: { connectionId, status: 'resolved' }, orderBy: { resolvedAt: 'desc' } }).then(maybe(asIncident));
    },
    open(data: NewIncident): Promise<IncidentRow> {
      return db.incident
        .create({
        data: {
          connectionId: data.connectionId,
          cause: data.cause,
          openKey: data.connectionId,
          openedAt: data.now,
          brokenSince: data.brokenSince,
          lastDetectedAt: data.now,
          httpStatus: data.httpStatus ?? null,
          xeroError: data.xeroError ?? null,
          missingScopes: data.missingScopes && data.missingScopes.length > 0 ? data.missingScopes.join(' ') : null,
          nextReminderAt: data.nextReminderAt,
        },
        })
        .then(asIncident);
    },
    async updateIf(id: string, guard: IncidentGuard, patch: IncidentPatch): Promise<boolean> {
      const { count } = await db.incident.updateMany({ where: { ...guard, id }, data: patch });
      return count === 1;
    },
    async recordDetection(id: string, at: Date): Promise<boolean> {
      const { count } = await db.incident.updateMany({ where: { id, status: 'open' }, data: { lastDetectedAt: at, detections: { increment: 1 } } });
      return count === 1;
    },
    pendingAnnouncement(limit = 5_000): Promise<IncidentWithConnection[]> {
      return db.incident.findMany({
        where: { status: 'open', announcedAt: null, held: false, connection: { state: { not: 'paused' } } },
        orderBy: { openedAt: 'asc' },
        take: limit,
        include: { connection: true },
      }).then((rows) => rows.map(asIncident));
    },
    async openedSince(causes: readonly string[], since: Date): Promise<{ grant: string; at: Date; fromScopes: boolean }[]> {
      const rows = await db.incident.findMany({
        where: { cause: { in: [...causes] }, openedAt: { gte: since } },
        select: { connectionId: true, openedAt: true, missingScopes: true, connection: { select: { grantId: true } } },
      });
      return rows.map((r) => ({ grant: grantKeyOf(r.connection.grantId, r.connectionId), at: r.openedAt, fromScopes: r.missingScopes !== null }));
    },
    async hold(ids: readonly string[], noticeId: string): Promise<number> {
      if (ids.length === 0) return 0;
      const { count } = await db.incident.updateMany({
        where: { id: { in: [...ids] }, status: 'open', announcedAt: null, held: false, heldBy: null },
        data: { held: true, heldBy: noticeId },
      });
      return count;
    },
    heldBy(noticeId: string): Promise<IncidentWithConnection[]> {
      return db.incident.findMany({ where: { heldBy: noticeId }, orderBy: { openedAt: 'asc' }, include: { connection: true } }).then((rows) => rows.map(asIncident));
    },
    async releaseHeld(noticeId: string): Promise<number> {
      const { count } = await db.incident.updateMany({ where: { heldBy: noticeId, held: true }, data: { held: false } });
      return count;
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
      }).then((rows) => rows.map(asIncident));
    },
    byAlertKey(alertKey: string): Promise<IncidentWithConnection[]> {
      return db.incident.findMany({ where: { alertKey }, orderBy: { openedAt: 'asc' }, include: { connection: true } }).then((rows) => rows.map(asIncident));
    },
    async openAlertKeys(): Promise<string[]> {
      const rows = await db.incident.findMany({ where: { status: 'open', alertKey: { not: null } }, distinct: ['alertKey'], orderBy: { alertKey: 'asc' }, select: { alertKey: true } });
      return rows.map((row) => row.alertKey!);
    },
    async recentGroups(prefix: string, since: Date): Promise<RecentGroup[]> {
      const recent = await db.incident.findMany({
        where: { alertKey: { startsWith: prefix }, announcedAt: { gte: since } },
        distinct: ['alertKey'],
        select: { alertKey: true, connection: { select: { alertTargetId: true } } },
      });
      if (recent.length === 0) return [];
      const keys = recent.map((r) => r.alertKey!);
      // A summary lists a handful of incidents: counted here rather than by a GROUP BY, whose
      // result type each dialect's generated client spells differently.
      const members = await db.incident.findMany({ where: { alertKey: { in: keys } }, select: { alertKey: true, announcedAt: true } });
      const target = new Map(recent.map((r) => [r.alertKey!, r.connection.alertTargetId]));
      return [...keys].sort().map((alertKey) => {
        const mine = members.filter((m) => m.alertKey === alertKey);
        const last = Math.max(...mine.map((m) => m.announcedAt?.getTime() ?? -Infinity));
        return { alertKey, members: mine.length, lastAnnouncedAt: Number.isFinite(last) ? new Date(last) : since, alertTargetId: target.get(alertKey) ?? null };
      });
    },
  };
}

type NoticeRow = Awaited<ReturnType<Db['notice']['findFirstOrThrow']>>;

/** Grouped notices (Xero unreachable): one open per kind, through the unique `openKey`. */
export function createNotices(db: Client): NoticesRepo {
  return {
    async findOpen(kind: string): Promise<Notice | null> {
      const row = await db.notice.findUnique({ where: { openKey: kind } });
      return row ? decodeNotice(row) : null;
    },
    async open(kind: string, organisations: string[], now: Date): Promise<Notice> {
      return decodeNotice(await db.notice.create({ data: { kind, openKey: kind, openedAt: now, organisations: JSON.stringify(organisations) } }));
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

/** The organisation list is a JSON array in a text column (SQLite has no arrays). */
function decodeNotice(row: NoticeRow): Notice {
  return { ...row, organisations: decodeNames(row.organisations) };
}

function decodeNames(text: string): string[] {
  try {
    const parsed: unknown = JSON.parse(text);
    return Array.isArray(parsed) ? parsed.filter((x): x is string => typeof x === 'string') : [];
  } catch {
    // Written only by this module, as JSON: an unreadable list shows as empty rather than failing
    // the monitor tick; the notice's count and close still work.
    return [];
  }
}
