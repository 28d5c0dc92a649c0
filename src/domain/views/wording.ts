// Every sentence Xero Guard says, in one place, so Slack and Teams say the same thing and a
// wording change is one edit. Builders in this folder assemble views from these. Sentences that
// name people or times are phrases (phrase.ts): each platform shows the person as a mention and
// the time in the reader's own zone.
import type { Cause } from '../causes.ts';
import type { ConnectionState } from '../states.ts';
import type { Person } from './model.ts';
import type { SnoozeChoice } from '../actions.ts';

import { ago$, at$, nameOf, p, person$, utc, type Phrase } from './phrase.ts'
;
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
    explanation: 'Xero did not answer. Xero Guard keeps retrying; nothing to do yet.',
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

/** A person's name in plain text (logs, fallbacks); chat sentences use phrases and mentions. */
export function who(person: Person | undefined): string {
  return nameOf(person);
}

/** "2026-11-23 08:05 UTC": plain text only; chat sentences show times in the reader's zone. */
export function when(at: Date | string): string {
  return utc(typeof at === 'string' ? at : at.toISOString());
}

/** "12 minutes", "3 hours 5 minutes": durations as people say them. */
export function duration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (ms < 60_000) return unit(Math.max(1, Math.round(ms / 1000)), 'second');
  if (minutes < 60) return unit(minutes, 'minute');
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? unit(hours, 'hour') : `${unit(hours, 'hour')} ${unit(minutes % 60, 'minute')}`;
  return `${unit(Math.floor(hours / 24), 'day')}${hours % 24 ? ` ${unit(hours % 24, 'hour')}` : ''}`;
}

/** What the alert says about a cause when it is the reason in a list (`/xero errors`). */
export const CAUSE_REASON: Record<Cause, string> = {
  token_revoked: 'Xero refused the authorisation: it expired or was revoked',
  app_disconnected_in_xero: 'Xero no longer lists the organisation: the app was removed in Xero',
  access_lost: 'Xero refused access to the organisation',
  permission_missing: 'Xero refused: a permission is missing',
  app_credentials_invalid: "Xero refused Xero Guard's own app credentials",
  encryption_key_changed: "Xero Guard could not read the stored tokens: the encryption key changed",
  xero_unavailable: 'Xero unavailable',
  rate_limited: 'Xero asked us to slow down',
};

export const XERO_REMOVAL_PATH = (tenantName: string) =>
  `In Xero: ${tenantName} > Settings > Connected Apps > Disconnect (remove every instance of the app).`;

/** The next step the alert names, by cause and by what was already done (DESIGN.md 2.1). */
export const NEXT_STEP = {
  operatorFix: p`An operator must fix Xero Guard's own Xero app credentials (XERO_CLIENT_ID, XERO_CLIENT_SECRET). Nothing to do in Xero or in the organisation.`,
  byCause: {
    app_disconnected_in_xero: (connector: Person, tenantName: string) =>
      p`${person$(connector)} reconnects with the link in their direct messages: the app is already removed in Xero, so that link alone fixes it. Anyone allowed who has access to ${tenantName} in Xero can click Reconnect instead.`,
    token_revoked: (connector: Person, tenantName: string) =>
      p`${person$(connector)} reconnects with the link in their direct messages. Anyone allowed who has access to ${tenantName} in Xero can click Reconnect instead.`,
    access_lost: (connector: Person, tenantName: string) =>
      p`Reconnect as a Xero user with the Standard or Adviser role in ${tenantName}. If ${person$(connector)} no longer has that access, an admin hands the reconnect to someone who does with "Send link to…".`,
    permission_missing: (connector: Person, _tenantName: string, missing: readonly string[] = []) =>
      missing.length > 0
        ? p`${person$(connector)} reconnects and approves every permission Xero asks for, including ${listOf(missing)}: the reconnect link asks for it.`
        : p`${person$(connector)} reconnects and approves every permission Xero asks for, the missing one included.`,
  },
  /** Stored tokens no key opens: an operator restores the key, or a reconnect stores fresh ones. */
  keyChanged: (connector: Person) =>
    p`An operator can add the previous key back after the new one (TOKEN_ENCRYPTION_KEY=new:<new key>,old:<previous key>) and restart Xero Guard, or click Reconnect: ${person$(connector)} gets a single-use link by direct message. Nothing to do in Xero.`,
  start: (tenantName: string) => p`Click Disconnect, then remove the app in Xero, then Reconnect. ${XERO_REMOVAL_PATH(tenantName)}`,
  afterFailedReconnect: (tenantName: string) =>
    p`The last reconnect did not hold, so do the full reset: click Disconnect, then remove the app in Xero, then Reconnect. ${XERO_REMOVAL_PATH(tenantName)}`,
  afterDisconnect: (tenantName: string) => p`Next: remove the app in Xero too. ${XERO_REMOVAL_PATH(tenantName)} Then click "I disconnected in Xero too".`,
  afterConfirm: (connector: Person) => p`Next: click Reconnect. ${person$(connector)} gets a single-use link by direct message.`,
  resolved: (syncFrom: string) => p`Nothing to do. Host apps should re-sync from ${at$(syncFrom)}.`,
};

/** "a", "a and b", "a, b and c". */
function listOf(items: readonly string[]): string {
  return items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items[items.length - 1]}`;
}

/** A permission missing by the grant's own scopes: what it is for, in plain words (never the scope's code). */
export const MISSING_PERMISSION = {
  headline: (purposes: readonly string[]) => `A permission is missing: ${listOf(purposes)}`,
  explanation: (purposes: readonly string[]) =>
    `The connection lacks a permission Xero Guard needs: ${listOf(purposes)}. Reconnect and approve it when Xero asks; the reconnect link asks for it.`,
};

/** What is already in motion: who holds a reconnect link. */
export const IN_MOTION = {
  linkHeld: (holder: Person, sentAt: string, expiresAt: string) =>
    p`${person$(holder)} has a reconnect link by direct message (sent ${at$(sentAt)}${ago$(sentAt)}; it works once, until ${at$(expiresAt)}).`,
};

export const THREAD = {
  disconnected: (by: Person, tenantName: string, detail: string) => p`${person$(by)} disconnected ${tenantName} here. ${detail}`,
  confirmed: (by: Person) => p`${person$(by)} confirmed the app was removed in Xero too.`,
  reconnectRequested: (by: Person, holder: Person) => p`${person$(by)} asked for a reconnect: ${person$(holder)} has a single-use link by direct message.`,
  linkHandedOver: (by: Person, holder: Person) => p`${person$(by)} sent a reconnect link to ${person$(holder)}.`,
  reconnected: (by: Person | undefined, tenantName: string, after: number, syncFrom: string) =>
    p`${tenantName} reconnected${by ? p` by ${person$(by)}` : ''}. It was broken for ${duration(after)}; host apps should re-sync from ${at$(syncFrom)}.`,
  recovered: (tenantName: string, after: number, syncFrom: string) =>
    p`${tenantName} works again (broken for ${duration(after)}). Host apps should re-sync from ${at$(syncFrom)}.`,
  reminder: (tenantName: string, since: string, count: number) => p`Reminder ${count}: ${tenantName} is still broken (since ${at$(since)}${ago$(since)}).`,
  unreachable: (person: Person) => p`I could not send ${person$(person)} a direct message, so I sent the reconnect link to the admins instead.`,
  unreachableNoAdmins: (person: Person) =>
    p`I could not send ${person$(person)} a direct message and no admins are configured: an admin can click Reconnect or run /xero reconnect.`,
};

export const DISCONNECT_DETAIL = {
  removed: 'The connection was removed in Xero and our tokens were erased.',
  already_gone: 'Xero had already dropped the connection; our tokens were erased.',
  skipped: 'The token no longer worked, so only our side was cleaned up; our tokens were erased.',
  failed: 'Xero could not be reached to remove the connection; our tokens were erased anyway.',
} as const;

export const DM = {
  /** The reconnect link's message carries the real reason: the cause when known, else none invented. */
  reconnect: (tenantName: string, cause: Cause | undefined) =>
    cause
      ? `${tenantName} needs reconnecting. ${CAUSE_WORDING[cause].explanation}${cause === 'app_disconnected_in_xero' ? ' This link alone fixes it: nothing to remove in Xero.' : ''} Use this single-use link (it expires in 30 minutes).`
      : `${tenantName} needs reconnecting. Use this single-use link (it expires in 30 minutes).`,
  reconnectForAdmin: (tenantName: string, connector: Person) =>
    p`${person$(connector)} could not be reached, so here is a link for you to reconnect ${tenantName}. It is single-use and expires in 30 minutes.`,
  reconnectHandedOver: (tenantName: string, by: Person, cause: Cause | undefined) =>
    p`${person$(by)} asked you to reconnect ${tenantName} to Xero. ${cause ? `${CAUSE_WORDING[cause].explanation} ` : ''}Sign in as a Xero user with access to ${tenantName} (Standard or Adviser role). The link is single-use and expires in 30 minutes.`,
  reconnectReminder: (tenantName: string, since: string) =>
    p`Reminder: ${tenantName} is still broken since ${at$(since)}. Use this new single-use link to reconnect (expires in 30 minutes).`,
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
    `${count} connection${count === 1 ? '' : 's'} broke within ${duration(windowMs)} of other alerts; this message grows as more do. Each row says why; act on a row with its button, or /xero reconnect <organisation>.`,
  more: (count: number) => `…and ${count} more: /xero errors and /xero status list them all.`,
  rest: (count: number) => `${count} more below have no button of their own: reconnect each with /xero reconnect <organisation>.`,
  working: 'Working again',
  restored: 'restored',
};

export const NOTICE = {
  unreachableTitle: 'Xero API unreachable',
  unreachableText: (count: number, sinceMs: number) =>
    `Xero has not answered for ${duration(sinceMs)} for ${count} organisation${count === 1 ? '' : 's'}. Xero Guard keeps retrying; no one needs to reconnect.`,
  recoveredTitle: 'Xero API reachable again',
  recoveredText: (afterMs: number) => `Xero answers again after ${duration(afterMs)}. Checks are back to normal.`,
  /** Many definite failures at once, held behind one notice (DESIGN.md 2.1): more likely Xero than a mass revocation. */
  troubleTitle: 'Xero may be having trouble',
  troubleText: (count: number, recheckInMs: number) =>
    `${count} organisation${count === 1 ? '' : 's'} failed within minutes with errors that usually mean a connection was revoked or removed. So many at once more likely means trouble at Xero, so Xero Guard holds their alerts and checks them again in ${duration(recheckInMs)}. Only the ones still broken then will be alerted; no one needs to reconnect yet.`,
  troubleOverTitle: 'Xero trouble checked again',
  troubleOverText: (recovered: number, alerted: number) => {
    const orgs = (n: number) => `${n} organisation${n === 1 ? '' : 's'}`;
    const works = recovered === 0 ? 'None of the held organisations works again.' : `${orgs(recovered)} ${recovered === 1 ? 'works' : 'work'} again (listed here).`;
    const rest = alerted === 0 ? ' No one needs to reconnect.' : ` The ${alerted === 1 ? 'other one is' : `other ${alerted} are`} still broken and ${alerted === 1 ? 'is' : 'are'} alerted now.`;
    return `${works}${rest}`;
  },
};

export const MOVED = {
  title: 'Alerts moved',
  text: (platform: string, channel: string | undefined, by: Person, reposted: number) =>
    p`${person$(by)} moved Xero Guard's ${platform} alerts to ${channel ?? 'another channel'}.${
      reposted > 0 ? ` The ${reposted} open alert${reposted === 1 ? ' is' : 's are'} re-posted there; the ones here keep being updated.` : ''
    }`,
};

const HERE_COMMAND: Record<Person['platform'], string> = { slack: '/xero here', teams: '@Xero Guard here' };

export const CONNECTED = {
  title: (tenantName: string) => `Connected: ${tenantName}`,
  text: (by: Person) => p`${person$(by)} connected it. Xero Guard now watches it and will alert here if it breaks.`,
  noChannel: (names: readonly string[], platform: Person['platform']) =>
    `Xero Guard watches ${names.join(', ')} now, but no alert channel is chosen yet, so nobody would hear if ${names.length === 1 ? 'it breaks' : 'one breaks'}. Run ${HERE_COMMAND[platform]} in the channel that should get the alerts.`,
  noChannelForAdmin: (by: Person, names: readonly string[], platform: Person['platform']) =>
    p`${person$(by)} connected ${names.join(', ')}, but no alert channel is chosen yet, so nobody would hear if ${names.length === 1 ? 'it breaks' : 'one breaks'}. Please run ${HERE_COMMAND[platform]} in the channel that should get the alerts.`,
};

const LABELS_SEND_LINK_NO_ONE = 'Pick a person to send the link to.';

/** The labels of the alert, the buttons and the confirmation, the same on every platform. */
export const LABELS = {
  organisation: 'Organisation',
  brokenSince: 'Broken since',
  wasBrokenSince: 'Was broken since',
  connectedBy: 'Connected by',
  lastGoodCheck: 'Last good check',
  never: 'never',
  nextStep: 'Next step',
  inMotion: 'In motion',
  steps: 'Steps',
  was: 'Was',
  restored: 'connection restored',
  resolved: (recovered: number) => `Resolved. Time to recover: ${duration(recovered)}.`,
  resolvedBy: (by: Person, at: string, recovered: number) => p`Resolved by ${person$(by)} ${at$(at)}. Time to recover: ${duration(recovered)}.`,
  resolvedAt: (at: string, recovered: number) => p`Resolved ${at$(at)}. Time to recover: ${duration(recovered)}.`,
  stepDone: (label: string, by: Person, at: string) => p`${label}: ${person$(by)}, ${at$(at)}`,
  stepNotYet: (label: string) => `${label}: not yet`,
  steps_: {
    disconnectedHere: 'Disconnected in Xero Guard',
    confirmedInXero: 'Removed in Xero too',
    reconnectRequested: 'Reconnect link sent',
    reconnected: 'Reconnected',
  },
  buttons: {
    disconnect: 'Disconnect',
    reconnect: 'Reconnect',
    confirmXero: 'I disconnected in Xero too',
    sendLink: 'Send link to…',
  },
  confirmDisconnect: {
    title: (tenantName: string) => `Disconnect ${tenantName}?`,
    text: (tenantName: string) =>
      `This removes the connection to ${tenantName} on our side and in Xero where the token still works, and erases its tokens. Its settings are kept, and you can reconnect it later.`,
    confirm: 'Yes, disconnect',
    deny: 'Cancel',
  },
  sendLinkNoOne: LABELS_SEND_LINK_NO_ONE,
  linkFooter: (expiresAt: string) => p`Single use; expires ${at$(expiresAt)}. Only for you: do not forward it.`,
  reasonDetail: 'Detail',
  errorsFolded: (count: number) => `×${count}`,
  moreRows: (count: number) => `…and ${count} more.`,
  fallbackError: 'Something went wrong on our side; nothing was changed. Please try again in a minute.',
  /** A handler that outlived its time may still finish, so this one does not promise nothing changed. */
  slowError: 'This is taking longer than it should. It may still finish: look at the alert or /xero status in a minute before trying again.',
};

export const ANSWERS = {
  /**
   * Where a private answer cannot be private (a Teams channel reply is seen by all), a link goes
   * by direct message and the channel hears only this.
   */
  linkSentByDm: 'I sent you the link in a direct message.',
  cannotDm: "I can't send you a direct message. Open a chat with Xero Guard (Apps › Xero Guard › Open) and try again.",
  /** A click whose work outlasts the platform's wait: the message is edited when it is done. */
  working: 'Working on it: the card updates when it is done.',
  refusedNotAdmin: 'Only Xero Guard admins may do that.',
  refusedNotAdminOrConnector: (connector: Person) => p`Only admins and ${person$(connector)} (who connected it) may do that.`,
  unknownCommand: (word: string) => `I don't know "${word}". Here is what I understand:`,
  missingOrg: (name: string) => `Which organisation? Try /xero ${name} <organisation>.`,
  unknownOrg: (name: string, known: string[]) =>
    known.length === 0 ? `No organisation matches "${name}": none is connected yet (/xero connect).` : `No organisation matches "${name}". Connected: ${known.join(', ')}.`,
  ambiguousOrg: (name: string) => `"${name}" matches several organisations; say which:`,
  badButton: 'That button is out of date or malformed. Run /xero status for the current state.',
  unknownButton: 'This button is not one Xero Guard knows. It may come from an older version of the card.',
  incidentGone: 'This alert no longer matches an open problem (it may be resolved). Run /xero status.',
  alreadyDone: (what: string, by: Person, at: string) => p`Already done: ${what} by ${person$(by)} ${at$(at)}.`,
  disconnected: (tenantName: string, detail: string) => `Disconnected ${tenantName}. ${detail}`,
  alreadyDisconnected: (tenantName: string) => `${tenantName} is already disconnected.`,
  confirmed: (tenantName: string) => `Recorded: the app was removed in Xero for ${tenantName}.`,
  notDisconnectedYet: 'Click Disconnect first: the app should be removed on our side before Xero.',
  reconnectSent: (connector: Person, alsoToYou: boolean) =>
    alsoToYou
      ? p`Sent a single-use reconnect link by direct message to ${person$(connector)}, and one to you.`
      : p`Sent a single-use reconnect link to ${person$(connector)} by direct message.`,
  linkHandedOver: (holder: Person) => p`Sent a single-use reconnect link to ${person$(holder)} by direct message.`,
  sendLinkNoOne: LABELS_SEND_LINK_NO_ONE,
  sendLinkNotApplicable: 'There is nothing to reconnect here: the connection works or needs the operator.',
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
  otherWorkspace: 'This Xero Guard is installed for another Slack workspace, so it cannot act on clicks from this one. Nothing was changed.',
};

export const ERRORS_TITLE = (count: number, org?: string) => `Last ${count} error${count === 1 ? '' : 's'}${org ? ` for ${org}` : ''}`;

export const LISTS = {
  statusTitle: 'Xero connections',
  noConnections: 'No organisation is connected yet. Run /xero connect to add one.',
  noErrors: 'No errors recorded.',
};

export const STATUS_WORDS = {
  tokenRefreshed: (ms: number) => `token refreshed ${duration(ms)} ago`,
  lastGood: 'last good check',
  neverGood: 'no good check yet',
  connectedBy: 'connected by',
};

export const STATUS_SUMMARY = (total: number, counts: Partial<Record<ConnectionState, number>>) => {
  const parts = (Object.entries(counts) as [ConnectionState, number][]).filter(([, n]) => n > 0).map(([s, n]) => `${n} ${STATE_WORDS[s]}`);
  return `${total} connection${total === 1 ? '' : 's'}${parts.length ? `: ${parts.join(', ')}` : ''}`;
};

/** Who may do what, said the same in help, the README and .env.example. */
export const WHO_MAY_ACT =
  'Anyone may read and check; admins and the person who connected an organisation may reconnect, disconnect, pause or resume it; only admins connect organisations and choose the alert channel. While no admin is set for a platform, everyone on it counts as an admin.';

/**
 * When the bot joins a channel it offers to make it the alert channel; in a 1:1 it says what it is.
 * The offer's button runs the same `here` command, with the same permission check.
 */
export const WELCOME = {
  offerTitle: 'Xero Guard is here',
  offerText: 'Xero Guard watches your Xero connections and posts an alert here the moment one breaks, with buttons to fix it.',
  offerAsk: 'Make this channel the alert channel? Only admins can. You can also use /xero here later, or /xero help for every command.',
  offerButton: 'Use this channel for alerts',
  personalTitle: 'Xero Guard',
  personalText: 'I watch your Xero connections and tell your team when one breaks. Use /xero help to see what I can do, or /xero status for the current state.',
};

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
