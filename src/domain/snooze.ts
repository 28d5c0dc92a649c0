// How long a snooze lasts. "Until tomorrow 9:00" is 9:00 on the clicker's next calendar day in
// their own time zone (Slack's users.info tz, Teams' localTimezone), daylight saving included.
import type { SnoozeChoice } from './actions.ts';

const HOUR = 3_600_000;
export const MORNING_HOUR = 9;

/** True for an IANA zone name this runtime knows ("Pacific/Auckland"). */
export function isTimeZone(zone: string | undefined): zone is string {
  if (!zone) return false;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** When a snooze chosen at `now` ends; an unknown zone counts as UTC. */
export function snoozeEnd(choice: SnoozeChoice, now: Date, timeZone?: string): Date {
  switch (choice) {
    case '1h':
      return new Date(now.getTime() + HOUR);
    case '4h':
      return new Date(now.getTime() + 4 * HOUR);
    case '1d':
      return new Date(now.getTime() + 24 * HOUR);
    case 'tomorrow':
      return tomorrowMorning(now, isTimeZone(timeZone) ? timeZone : 'UTC');
  }
}

function tomorrowMorning(now: Date, zone: string): Date {
  const today = localParts(now, zone);
  // Wall-clock 9:00 tomorrow read as if it were UTC, then moved by the zone's offset at that
  // moment; a second pass settles a daylight-saving change between now and then.
  const wall = Date.UTC(today.year, today.month - 1, today.day + 1, MORNING_HOUR, 0, 0);
  let at = wall - offsetMs(new Date(wall), zone);
  at = wall - offsetMs(new Date(at), zone);
  return new Date(at);
}

type Parts = { year: number; month: number; day: number; hour: number; minute: number; second: number };

function localParts(at: Date, zone: string): Parts {
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone: zone,
    hourCycle: 'h23',
    year: 'numeric',
    month: 'numeric',
    day: 'numeric',
    hour: 'numeric',
    minute: 'numeric',
    second: 'numeric',
  });
  const parts = Object.fromEntries(format.formatToParts(at).map((p) => [p.type, p.value]));
  return { year: +parts.year!, month: +parts.month!, day: +parts.day!, hour: +parts.hour!, minute: +parts.minute!, second: +parts.second! };
}

/** The zone's offset from UTC at `at` (local minus UTC). */
function offsetMs(at: Date, zone: string): number {
  const p = localParts(at, zone);
  const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
  return asUtc - Math.floor(at.getTime() / 1000) * 1000;
}
