// Every sentence Xero Guard says, in one place, so Slack and Teams say the same thing and a
// wording change is one edit. Builders in this folder assemble views from these.
import type { Cause } from '../causes.ts';
import type { ConnectionState } from '../states.ts';
import { formatDuration } from '../duration.ts';
import type { Person } from './model.ts';
import type { SnoozeChoice } from '../actions.ts';

export const CAUSE_WORDING: Record<Cause, { headline: string; explanation: string }> = {
  token_revoked: {
    headline: 'Xero authorisation expired or revoked',
    explanation: 'The authorisation expired or was revoked, so Xero Guard can no longer refresh its token. Reconnect to fix it.',
  },
  app_disconnected_in_xero: {
    headline: 'App removed in Xero',
    explanation: 'Someone removed the app under Connected Apps in Xero, so this organisation is no longer connected.',
  },
  access_lost: {
    headline: 'Access to the organisation lost',
    explanation:
      "The user who connected lost access or their role changed, or the organisation's subscription or trial ended. Reconnect as a Standard or Adviser user.",
  },
  permission_missing: {
    headline: 'A permission is missing',
    explanation: 'The connection lacks a permission it needs. Reconnect and approve every permission Xero asks for.',
  },
  app_credentials_invalid: {
    headline: "Xero Guard's own Xero app credentials are wrong",
    explanation:
      "Xero refused our app's client id or secret. This is an operator problem, not the organisation's: fix XERO_CLIENT_ID and XERO_CLIENT_SECRET; reconnecting will not help.",
  },
  encryption_key_changed: {
    headline: "Xero Guard cannot read this organisation's stored tokens",
    explanation:
      "The encryption key changed: the tokens stored for this organisation were saved under a key that is no longer in TOKEN_ENCRYPTION_KEY, so Xero Guard cannot decrypt them. This is a problem on our side, not Xero's or the organisation's: an operator can add the previous key back, or the organisation can be reconnected.",
  },
  xero_unavailable: {
    headline: 'Xero API unreachable',
    explanation: 'Xero did not answer (timeouts or server errors). Xero Guard keeps retrying with backoff; nothing to do yet.',
  },
  rate_limited: {
    headline: 'Xero rate limit reached',
    explanation: 'Xero asked us to slow down. Xero Guard waits as asked; this is not a failure of the organisation.',
  },
};

export const STATE_WORDS: Record<ConnectionState, string> = {
  connected: 'connected',
  degraded: 'degraded',
  broken: 'broken',
  disconnected: 'disconnected',
  reconnecting: 'reconnecting',
  paused: 'paused',
};

export function who(person: Person | undefined): string {
  if (!person) return 'someone';
  return person.name ?? person.userId;
}

/** "2026-11-23 08:05 UTC": used only inside sentences; view fields stay ISO for the renderers. */
export function when(at: Date | string): string {
  const d = typeof at === 'string' ? new Date(at) : at;
  return `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

export const XERO_REMOVAL_PATH = (tenantName: string) =>
  `In Xero: ${tenantName} > Settings > Connected Apps > Disconnect (remove every instance of the app).`;

export const NEXT_STEP = {
  operatorFix: 'An operator must fix the Xero app credentials (XERO_CLIENT_ID, XERO_CLIENT_SECRET). Nothing to do in Xero.',
  keyChanged: (connector: string) =>
    `An operator can add the previous key back after the new one (TOKEN_ENCRYPTION_KEY=new:<new key>,old:<previous key>) and restart Xero Guard, or click Reconnect: ${connector} gets a single-use link by direct message. Nothing to do in Xero.`,
  start: (tenantName: string) =>
    `Click Disconnect, then remove the app in Xero, then Reconnect. ${XERO_REMOVAL_PATH(tenantName)}`,
  reconnectOnly: (connector: string) => `Click Reconnect: ${connector} gets a single-use link by direct message.`,
  afterDisconnect: (tenantName: string) =>
    `Next: remove the app in Xero too. ${XERO_REMOVAL_PATH(tenantName)} Then click "I disconnected in Xero too".`,
  afterConfirm: (connector: string) => `Next: click Reconnect. ${connector} gets a single-use link by direct message.`,
  waitingForReconnect: (connector: string, at: string) =>
    `Waiting for ${connector} to open the reconnect link sent ${when(at)} (it expires after 30 minutes; click Reconnect for a new one).`,
  resolved: (syncFrom: string) => `Nothing to do. Host apps should re-sync from ${when(syncFrom)}.`,
};

export const THREAD = {
  disconnected: (by: Person, tenantName: string, detail: string) => `${who(by)} disconnected ${tenantName} here. ${detail}`,
  confirmed: (by: Person) => `${who(by)} confirmed the app was removed in Xero too.`,
  reconnectRequested: (by: Person, connector: string) =>
    `${who(by)} asked for a reconnect: ${connector} has a single-use link by direct message.`,
  reconnected: (by: Person | undefined, tenantName: string, after: number, syncFrom: string) =>
    `${tenantName} reconnected${by ? ` by ${who(by)}` : ''}. It was broken for ${formatDuration(after)}; host apps should re-sync from ${when(syncFrom)}.`,
  recovered: (tenantName: string, after: number, syncFrom: string) =>
    `${tenantName} works again (broken for ${formatDuration(after)}). Host apps should re-sync from ${when(syncFrom)}.`,
  reminder: (tenantName: string, since: string, count: number) =>
    `Reminder ${count}: ${tenantName} is still broken (since ${when(since)}).`,
  unreachable: (person: string) =>
    `I could not send ${person} a direct message, so I sent the reconnect link to the admins instead.`,
  unreachableNoAdmins: (person: string) =>
    `I could not send ${person} a direct message and no admins are configured: an admin can click Reconnect or run /xero reconnect.`,
};

export const DISCONNECT_DETAIL = {
  removed: 'The connection was removed in Xero and our tokens were erased.',
  already_gone: 'Xero had already dropped the connection; our tokens were erased.',
  skipped: 'The token no longer worked, so only our side was cleaned up; our tokens were erased.',
  failed: 'Xero could not be reached to remove the connection; our tokens were erased anyway.',
} as const;

export const DM = {
  reconnect: (tenantName: string, cause: Cause) =>
    `${tenantName} needs reconnecting: ${CAUSE_WORDING[cause].explanation} Use this single-use link (it expires in 30 minutes).`,
  reconnectForAdmin: (tenantName: string, connector: string) =>
    `${connector} could not be reached, so here is a link for you to reconnect ${tenantName}. It is single-use and expires in 30 minutes.`,
  reconnectReminder: (tenantName: string, since: string) =>
    `Reminder: ${tenantName} is still broken since ${when(since)}. Use this new single-use link to reconnect (expires in 30 minutes).`,
  connect: 'Use this single-use link to connect Xero organisations (it expires in 30 minutes).',
  buttonReconnect: 'Reconnect to Xero',
  buttonConnect: 'Connect to Xero',
  fresh: (names: readonly string[]) => `Here is a fresh single-use link to reconnect ${names.join(', ')} (it expires in 30 minutes).`,
  summaryWithLink: (names: readonly string[]) => {
    const shown = names.length > 20 ? `${names.slice(0, 20).join(', ')} and ${names.length - 20} more` : names.join(', ');
    return names.length === 1
      ? `${shown}, which you connected, needs reconnecting. Open this single-use link, continue to Xero and tick it (it expires in 30 minutes).`
      : `${names.length} organisations you connected need reconnecting: ${shown}. One link repairs them all: open it, continue to Xero and tick each of them (single-use, expires in 30 minutes).`;
  },
  summary: (count: number) =>
    `${count === 1 ? '1 organisation' : `${count} organisations`} you connected need${count === 1 ? 's' : ''} reconnecting. Use the Reconnect buttons in the alert channel, or /xero reconnect <organisation>.`,
};

export const SUMMARY = {
  title: (count: number) => `${count} Xero connection${count === 1 ? '' : 's'} broke`,
  text: (count: number, windowMs: number) =>
    `${count} connection${count === 1 ? '' : 's'} broke within ${formatDuration(windowMs)} of other alerts; this message grows as more do. Each row says why; fix each with its buttons or /xero reconnect <organisation>.`,
  more: (count: number) => `…and ${count} more: /xero status lists them all.`,
};

export const NOTICE = {
  unreachableTitle: 'Xero API unreachable',
  unreachableText: (count: number, sinceMs: number) =>
    `Xero has not answered for ${formatDuration(sinceMs)} for ${count} organisation${count === 1 ? '' : 's'}. Xero Guard keeps retrying; no one needs to reconnect.`,
  recoveredTitle: 'Xero API reachable again',
  recoveredText: (afterMs: number) => `Xero answers again after ${formatDuration(afterMs)}. Checks are back to normal.`,
};

export const MOVED = {
  title: 'Alerts moved',
  text: (platform: string, channel: string | undefined, by: Person, reposted: number) =>
    `${who(by)} moved Xero Guard's ${platform} alerts to ${channel ?? 'another channel'}.${
      reposted > 0 ? ` The ${reposted} open alert${reposted === 1 ? ' is' : 's are'} re-posted there; the ones here keep being updated.` : ''
    }`,
};

const HERE_COMMAND: Record<Person['platform'], string> = { slack: '/xero here', teams: '@Xero Guard here' };

export const CONNECTED = {
  title: (tenantName: string) => `Connected: ${tenantName}`,
  text: (by: Person) => `${who(by)} connected it. Xero Guard now watches it and will alert here if it breaks.`,
  noChannel: (names: readonly string[], platform: Person['platform']) =>
    `Xero Guard watches ${names.join(', ')} now, but no alert channel is chosen yet, so nobody would hear if ${names.length === 1 ? 'it breaks' : 'one breaks'}. Run ${HERE_COMMAND[platform]} in the channel that should get the alerts.`,
  noChannelForAdmin: (by: Person, names: readonly string[], platform: Person['platform']) =>
    `${who(by)} connected ${names.join(', ')}, but no alert channel is chosen yet, so nobody would hear if ${names.length === 1 ? 'it breaks' : 'one breaks'}. Please run ${HERE_COMMAND[platform]} in the channel that should get the alerts.`,
};

export const ANSWERS = {
  refusedNotAdmin: 'Only Xero Guard admins may do that.',
  refusedNotAdminOrConnector: (connector: string) => `Only admins and ${connector} (who connected it) may do that.`,
  unknownCommand: (word: string) => `I don't know "${word}". Here is what I understand:`,
  missingOrg: (name: string) => `Which organisation? Try /xero ${name} <organisation>.`,
  unknownOrg: (name: string, known: string[]) =>
    known.length === 0 ? `No organisation matches "${name}": none is connected yet (/xero connect).` : `No organisation matches "${name}". Connected: ${known.join(', ')}.`,
  ambiguousOrg: (name: string) => `"${name}" matches several organisations; say which:`,
  badButton: 'That button is out of date or malformed. Run /xero status for the current state.',
  incidentGone: 'This alert no longer matches an open problem (it may be resolved). Run /xero status.',
  alreadyDone: (what: string, by: Person, at: string) => `Already done: ${what} by ${who(by)} at ${when(at)}.`,
  disconnected: (tenantName: string, detail: string) => `Disconnected ${tenantName}. ${detail}`,
  alreadyDisconnected: (tenantName: string) => `${tenantName} is already disconnected.`,
  confirmed: (tenantName: string) => `Recorded: the app was removed in Xero for ${tenantName}.`,
  notDisconnectedYet: 'Click Disconnect first: the app should be removed on our side before Xero.',
  reconnectSent: (connector: string, alsoToYou: boolean) =>
    alsoToYou
      ? `Sent a single-use reconnect link by direct message to ${connector}, and one to you.`
      : `Sent a single-use reconnect link to ${connector} by direct message.`,
  reconnectSentToYou: 'Sent you a single-use reconnect link by direct message.',
  reconnectDisconnectFirst: 'Reconnect works on an organisation that is broken or disconnected.',
  checkOk: (tenantName: string) => `${tenantName}: the check passed, the connection works.`,
  checkFailed: (tenantName: string, cause: Cause) => `${tenantName}: the check failed: ${CAUSE_WORDING[cause].explanation}`,
  checkBusy: (tenantName: string) => `${tenantName} is being checked right now; try again in a few seconds.`,
  checkNotWatched: (tenantName: string, state: ConnectionState) => `${tenantName} is ${STATE_WORDS[state]}, so it is not checked. Resume or reconnect it first.`,
  paused: (tenantName: string) => `Paused ${tenantName}: no checks and no alerts until /xero resume ${tenantName}.`,
  alreadyPaused: (tenantName: string) => `${tenantName} is already paused.`,
  resumed: (tenantName: string) => `Resumed ${tenantName}: it will be checked within a minute.`,
  notPaused: (tenantName: string) => `${tenantName} is not paused.`,
  cannotPause: (tenantName: string, state: ConnectionState) => `${tenantName} is ${STATE_WORDS[state]}; only watched connections can be paused.`,
  here: (platform: string, reposted = 0) =>
    `Alerts for ${platform} now go to this channel.${
      reposted > 0
        ? ` ${reposted} open alert${reposted === 1 ? ' was' : 's were'} re-posted here from the previous channel; the copies there stay up to date too.`
        : ''
    }`,
  hereNeedsChannel: 'Run /xero here in the channel that should receive alerts.',
  connect: 'Here is your single-use link.',
  noConnections: 'No Xero organisation is connected yet. An admin can run /xero connect.',
  noErrors: (org?: string) => (org ? `No errors logged for ${org}.` : 'No errors logged.'),
  internal: 'Something went wrong on our side; it is logged. Please try again.',
};

export const ERRORS_TITLE = (count: number, org?: string) => `Last ${count} error${count === 1 ? '' : 's'}${org ? ` for ${org}` : ''}`;

export const STATUS_SUMMARY = (total: number, counts: Partial<Record<ConnectionState, number>>) => {
  const parts = (Object.entries(counts) as [ConnectionState, number][]).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${STATE_WORDS[s]}`);
  return `${total} connection${total === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
};

/** Who may do what, said the same in help, the README and .env.example. */
export const WHO_MAY_ACT =
  'Anyone may read and check; admins and the person who connected an organisation may reconnect, disconnect, pause or resume it; only admins connect organisations and choose the alert channel. While no admin is set for a platform, everyone on it counts as an admin.';

export const HELP = {
  title: 'Xero Guard commands',
  text: 'Xero Guard watches your Xero connections and alerts here when one breaks.',
  lines: [
    '/xero status: every connection, its state and since when',
    '/xero errors [organisation] [n]: the last n errors (default 10)',
    '/xero connect: connect organisations (admins)',
    '/xero reconnect <organisation>: send a single-use reconnect link to whoever connected it',
    '/xero disconnect <organisation>: remove the connection on our side and in Xero',
    '/xero check <organisation>: check it now',
    '/xero pause <organisation> / resume <organisation>: stop and restart checks and alerts',
    '/xero here: send alerts to this channel (admins)',
    '/xero help: this list',
    WHO_MAY_ACT,
  ],
};

/**
 * Ownership, snooze and resolution notes. Lines shown on the alert take the person and the time
 * already formatted by the renderer (a mention, a time in the reader's own zone).
 */
export const LIFECYCLE = {
  buttonOwn: "I'm on it",
  buttonTakeOver: 'Take over',
  buttonSnooze: 'Snooze reminders',
  buttonNote: 'What fixed it?',
  snoozeChoices: { '1h': '1 hour', '4h': '4 hours', tomorrow: 'Until tomorrow 9:00', '1d': '1 day' } as Record<SnoozeChoice, string>,
  ownerLine: (person: string, since: string) => `${person} is on it (since ${since}).`,
  snoozedLine: (until: string, by: string) => `Reminders snoozed until ${until} by ${by}.`,
  noteLine: (by: string, text: string) => `What fixed it, by ${by}: ${text}`,
  noteTitle: 'What fixed it?',
  noteLabel: 'A short note for the team and the connection log',
  notePlaceholder: 'For example: Ada reconnected as the Adviser user after her role changed.',
  noteSubmit: 'Save note',
  noteCancel: 'Cancel',
  statusOwner: (person: string) => `on it: ${person}`,
  statusSnoozed: (until: string) => `snoozed until ${until}`,
  errorsNoteOperation: 'resolution note',
};

export const LIFECYCLE_THREAD = {
  owned: (by: Person) => `${who(by)} is on it.`,
  tookOver: (by: Person, from: Person) => `${who(by)} took this over from ${who(from)}.`,
  snoozed: (by: Person, choice: SnoozeChoice) =>
    `${who(by)} snoozed the reminders ${choice === 'tomorrow' ? 'until 9:00 tomorrow, their time' : `for ${LIFECYCLE.snoozeChoices[choice]}`}.`,
  snoozeEnded: (tenantName: string, cause: Cause) =>
    `The snooze ended early: ${tenantName} now fails for another reason. ${CAUSE_WORDING[cause].explanation}`,
  causeChanged: (tenantName: string, cause: Cause) => `${tenantName} now fails for another reason. ${CAUSE_WORDING[cause].explanation}`,
  note: (by: Person, text: string) => `What fixed it, by ${who(by)}: ${text}`,
  ownerReminder: (tenantName: string, since: string) =>
    `Reminder: ${tenantName} is still broken since ${when(since)}, and you said you are on it. Use this new single-use link to reconnect (expires in 30 minutes).`,
};

export const LIFECYCLE_ANSWERS = {
  owned: (tenantName: string) => `You are on it: reminders about ${tenantName} now come to you as well.`,
  tookOver: (tenantName: string, from: Person) => `You took ${tenantName} over from ${who(from)}; reminders now come to you as well.`,
  alreadyOwner: (tenantName: string) => `You are already on ${tenantName}.`,
  snoozed: (tenantName: string, choice: SnoozeChoice, until: Date) =>
    `Reminders about ${tenantName} are snoozed ${choice === 'tomorrow' ? 'until 9:00 tomorrow, your time' : `for ${LIFECYCLE.snoozeChoices[choice]}`} (until ${when(until)}). A new cause ends the snooze at once.`,
  snoozeWhich: 'Pick how long to snooze: 1 hour, 4 hours, until tomorrow 9:00 or 1 day.',
  noteSaved: (tenantName: string) => `Saved your note on what fixed ${tenantName}. It is in the thread and in /xero errors.`,
  noteEmpty: 'Write a few words about what fixed it, then save.',
  noteTooLong: (max: number) => `That note is too long: keep it under ${max} characters.`,
  noteNotResolved: 'A note on what fixed it can be added once the problem is resolved.',
};
