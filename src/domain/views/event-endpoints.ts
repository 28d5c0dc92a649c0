// What admins read in `/xero status` about the host app's webhook endpoints that stopped taking
// events. Written once here; the Slack and Teams renderers show the lines as they are.
import { formatDuration } from '../duration.ts';
import type { EndpointHealth } from '../events.ts';

export function endpointNotes(health: readonly EndpointHealth[], now: Date): string[] {
  return health.filter((h) => h.down).map((h) => endpointNote(h, now));
}

function endpointNote(h: EndpointHealth, now: Date): string {
  const name = `"${h.endpoint}"`;
  const waiting = h.waiting === 1 ? '1 event is waiting' : `${h.waiting} events are waiting`;
  if (h.reason === 'failing') {
    const since = h.since ? ` for ${formatDuration(Math.max(0, now.getTime() - h.since.getTime()))}` : '';
    return `The events endpoint ${name} has not accepted events${since}; ${waiting}. Xero Guard keeps retrying: check that the system receiving them is up.`;
  }
  const lost = h.givenUp === 1 ? '1 event was given up' : `${h.givenUp} events were given up`;
  return `The events endpoint ${name} did not accept events for too long: ${lost}${h.waiting > 0 ? `, and ${waiting}` : ''}. Check the system receiving them; it can read the current state from the read API.`;
}
