// What the Slack app asks of a workspace, in one place: the routes use these names and
// scripts/check-slack-manifest.ts checks manifest.json asks for exactly these and no others.
export const SLASH_COMMAND = '/xero';
export const EVENTS_PATH = '/slack/events';

/** Events the routes subscribe to. */
export const BOT_EVENTS = ['app_home_opened', 'member_joined_channel'] as const;

/**
 * Bot scopes, each for a Web API call the sender makes:
 * commands (the /xero command), chat:write (chat.postMessage, chat.update, chat.postEphemeral),
 * chat:write.public (post alerts to a channel chosen with `/xero here` without inviting the bot
 * first), im:write (conversations.open for the reconnect DM), and channels:history,
 * groups:history, im:history (conversations.history / conversations.replies, used only to find a
 * message an interrupted delivery already posted, by the delivery id in its metadata, so a crash
 * never posts it twice), users:read (users.info: the time zone of whoever snoozes an alert "until
 * tomorrow 9:00"), channels:read and groups:read (the member_joined_channel event, on which the bot
 * offers a channel it was invited to as the alert channel). views.publish, views.open and
 * auth.test need none.
 */
export const REQUIRED_BOT_SCOPES = ['commands', 'chat:write', 'chat:write.public', 'im:write', 'users:read', 'channels:read', 'groups:read'] as const;
/** Optional: without them a crash in the instant after Slack accepted a message may post it twice. */
export const HISTORY_BOT_SCOPES = ['channels:history', 'groups:history', 'im:history'] as const;
export const BOT_SCOPES = [...REQUIRED_BOT_SCOPES, ...HISTORY_BOT_SCOPES] as const;
