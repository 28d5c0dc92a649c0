// The App Home tab: the status table, published when a user opens the tab and again (for everyone
// who opened it lately) when a connection's state changes, so it never shows a stale story.
import type { Logger } from 'pino';
import type { ChatHandlers } from '../../handlers/types.ts';
import { renderHomeView } from './render.ts';
import type { SlackSender } from './sender.ts';

export type HomeTabs = {
  /** app_home_opened: remember the viewer and publish their tab now. */
  opened(userId: string): Promise<void>;
  /** A state changed somewhere: republish every recent viewer's tab, at most once per debounce. */
  refreshSoon(): void;
  stop(): void;
};

/** Viewers older than this are not refreshed until they open the tab again. */
const VIEWER_TTL_MS = 7 * 24 * 3_600_000;

export function createHomeTabs(deps: {
  handlers: ChatHandlers;
  sender: Pick<SlackSender, 'publishHome'>;
  logger: Logger;
  now?: () => Date;
  debounceMs?: number;
}): HomeTabs {
  const now = deps.now ?? (() => new Date());
  const viewers = new Map<string, number>();
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;

  async function statusFor(userId: string) {
    if (deps.handlers.statusView) return deps.handlers.statusView();
    const result = await deps.handlers.runCommand({ platform: 'slack', userId }, 'status', { platform: 'slack', isDirect: true, requestId: `home:${userId}:${now().getTime()}` });
    return result.ok ? result.value.reply : result.error.reply;
  }

  async function publish(userIds: string[]): Promise<void> {
    if (userIds.length === 0) return;
    const view = await statusFor(userIds[0]!);
    if (!view) return;
    const home = renderHomeView(view, now());
    for (const userId of userIds) {
      const outcome = await deps.sender.publishHome(userId, home);
      if (!outcome.ok) deps.logger.warn({ platform: 'slack', userId, error: outcome.error }, 'app home not published');
    }
  }

  return {
    async opened(userId) {
      viewers.set(userId, now().getTime());
      await publish([userId]);
    },
    refreshSoon() {
      if (timer || stopped || viewers.size === 0) return;
      timer = setTimeout(() => {
        timer = undefined;
        const cutoff = now().getTime() - VIEWER_TTL_MS;
        for (const [user, at] of viewers) if (at < cutoff) viewers.delete(user);
        publish([...viewers.keys()]).catch((error: unknown) => deps.logger.warn({ platform: 'slack', err: error }, 'app home refresh failed'));
      }, deps.debounceMs ?? 2_000);
      timer.unref();
    },
    stop() {
      stopped = true;
      if (timer) clearTimeout(timer);
    },
  };
}
