// What the Slack routes ask of the Web API besides messages: a person's time zone (users.info,
// cached for an hour: people rarely move) and opening a modal for a click's trigger_id.
import type { Logger } from 'pino';
import type { webApi } from '@slack/bolt';

type WebClient = InstanceType<typeof webApi.WebClient>;

export type SlackPeople = {
  timeZoneOf(userId: string): Promise<string | undefined>;
  openModal(triggerId: string, view: object): Promise<boolean>;
};

const TZ_TTL_MS = 3_600_000;

export function createSlackPeople(client: WebClient, logger: Logger, now: () => number = Date.now): SlackPeople {
  const zones = new Map<string, { zone: string | undefined; until: number }>();
  return {
    async timeZoneOf(userId) {
      const cached = zones.get(userId);
      if (cached && cached.until > now()) return cached.zone;
      try {
        const answer = await client.users.info({ user: userId });
        const zone = (answer.user as { tz?: string } | undefined)?.tz;
        zones.set(userId, { zone, until: now() + TZ_TTL_MS });
        if (zones.size > 10_000) zones.delete(zones.keys().next().value!);
        return zone;
      } catch (error) {
        // Without it "tomorrow 9:00" is read in UTC, and the answer says the time.
        logger.warn({ err: error, userId }, 'slack users.info failed');
        return undefined;
      }
    },
    async openModal(triggerId, view) {
      try {
        await client.views.open({ trigger_id: triggerId, view: view as never });
        return true;
      } catch (error) {
        logger.warn({ err: error }, 'slack views.open failed');
        return false;
      }
    },
  };
}
