// Every sentence of the web pages around Xero's consent (the link's page, the callback's result,
// the fresh-link answer), written once. The HTTP adapter only lays a PageView out as HTML.
import { tellAdmins, type ConsentOutcome, type ConsentRefusal, type NotBound } from '../consent.ts';
import type { Platform } from '../permissions.ts';
import { channelUrl } from '../chat-links.ts';

export type PageView = {
  tone: 'good' | 'bad' | 'info';
  title: string;
  /** What happened (or what this page will do). */
  text: string;
  /** The next step, and who takes it. */
  next?: string;
  lines: string[];
  /** One button, a form POST: continue (to Xero) or fresh (a new link by direct message). */
  action?: { kind: 'continue' | 'fresh'; label: string };
  back?: { label: string; url: string };
};

const APP = { slack: 'Slack', teams: 'Teams' } satisfies Record<Platform, string>;
const HERE_COMMAND = { slack: '/xero here', teams: '@Xero Guard here' } satisfies Record<Platform, string>;
const list = (names: readonly string[]) =>
  names.length <= 1 ? (names[0] ?? '') : `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;

export const PAGE_WORDS = {
  product: 'Xero Guard',
  continue: 'Continue to Xero',
  retry: 'Try again at Xero',
  fresh: 'Send me a fresh link',
  adminsTold: 'The admins were told in chat.',
  noChannel: (platform: Platform) =>
    `No alert channel is chosen yet, so nobody would hear if it breaks. In ${APP[platform]}, run ${HERE_COMMAND[platform]} in the channel that should get the alerts.`,
  watching: 'Xero Guard watches it from now on and posts in the alert channel if it breaks. You can close this window.',
  notBound: (n: NotBound) =>
    n.why === 'not_ticked'
      ? `Not reconnected: ${n.name} (not ticked at Xero). Its alert stays open; use its Reconnect button in chat for a new link.`
      : `Not changed: ${n.name} (this link was not for it).`,
};

export function pageView(outcome: ConsentOutcome): PageView {
  const back = 'back' in outcome && outcome.back ? { label: backLabel(outcome.back.platform, outcome.back.name), url: channelUrl(outcome.back) } : undefined;
  const withBack = (view: Omit<PageView, 'back' | 'lines'> & { lines?: string[] }): PageView => ({ lines: [], ...view, ...(back ? { back } : {}) });
  switch (outcome.kind) {
    case 'link_open':
      return withBack({
        tone: 'info',
        title: outcome.purpose === 'reconnect' ? `Reconnect ${list(outcome.names)}` : 'Connect Xero organisations',
        text:
          outcome.purpose === 'reconnect'
            ? `Xero Guard will take you to Xero to sign in. On Xero's page, tick ${list(outcome.names)} and allow access; Xero Guard then watches ${outcome.names.length === 1 ? 'it' : 'them'} again.`
            : "Xero Guard will take you to Xero to sign in. On Xero's page, tick the organisations Xero Guard should watch and allow access.",
        next: `This link works once, for about ${Math.max(1, outcome.minutesLeft)} more minute${outcome.minutesLeft === 1 ? '' : 's'}. Opening it does not use it up; finishing at Xero does.`,
        action: { kind: 'continue', label: PAGE_WORDS.continue },
      });
    case 'link_closed':
      return withBack({
        tone: 'info',
        title: outcome.state === 'used' ? 'This link was already used' : 'This link has expired',
        text: outcome.state === 'used' ? 'Each link works once, and this one has done its job. Nothing was changed now.' : 'Links work for 30 minutes. Nothing was changed.',
        ...(outcome.canRenew
          ? { next: `Need another? One click sends you a fresh link by direct message in ${APP[outcome.platform]}.`, action: { kind: 'fresh', label: PAGE_WORDS.fresh } as const }
          : { next: `A fresh link was already sent for this one: look in your direct messages in ${APP[outcome.platform]}.` }),
      });
    case 'link_invalid':
      return {
        tone: 'bad',
        title: outcome.state === 'missing' ? 'This link is incomplete' : 'This link is not valid',
        text: 'It may have been copied or cut short. Nothing was changed.',
        next: 'Ask Xero Guard for a new link in chat: /xero connect, or the Reconnect button on the alert.',
        lines: [],
      };
    case 'fresh_sent':
      return withBack({
        tone: 'good',
        title: outcome.already ? 'A fresh link is already on its way' : 'A fresh link is on its way',
        text: `Xero Guard ${outcome.already ? 'already sent' : 'sent'} you a new link by direct message in ${APP[outcome.platform]}.`,
        next: 'Open it from there. You can close this window.',
      });
    case 'fresh_failed':
      return withBack({
        tone: 'bad',
        title: 'No fresh link could be sent',
        text: 'What this link was for no longer needs one (the organisation was removed), or Xero Guard could not issue a link just now. Nothing was changed.',
        next: 'Ask for a new link in chat: /xero connect, or the Reconnect button on the alert.',
      });
    case 'sign_in':
      return {
        tone: outcome.state === 'in_progress' ? 'info' : 'bad',
        title: outcome.state === 'in_progress' ? 'Still finishing your sign-in' : outcome.state === 'expired' ? 'This sign-in took too long' : 'This sign-in could not be matched',
        text:
          outcome.state === 'in_progress'
            ? 'Xero Guard is still storing what Xero sent.'
            : outcome.state === 'expired'
              ? 'Xero sent you back after the sign-in had expired. Nothing was changed.'
              : 'Xero sent you back with a sign-in Xero Guard did not start, or the address was cut short. Nothing was changed.',
        ...(outcome.retry ? { next: 'Your link still works: go to Xero again from here.', action: { kind: 'continue', label: PAGE_WORDS.retry } as const } : { next: outcome.state === 'in_progress' ? 'Reload this page in a moment to see the result.' : 'Open your link from chat again.' }),
        lines: [],
      };
    case 'bound':
      return withBack({
        tone: 'good',
        title: `${outcome.purpose === 'reconnect' ? 'Reconnected' : 'Connected'}: ${list(outcome.bound)}`,
        text: outcome.alertChannel ? PAGE_WORDS.watching : `Xero Guard watches ${outcome.bound.length === 1 ? 'it' : 'them'} from now on.`,
        ...(outcome.alertChannel ? {} : { next: PAGE_WORDS.noChannel(outcome.platform) }),
        lines: outcome.notBound.map(PAGE_WORDS.notBound),
      });
    case 'wrong_organisation':
      return withBack({
        tone: 'bad',
        title: 'That is a different organisation',
        text: `You ticked ${list(outcome.authorised) || 'another organisation'} at Xero, but this link reconnects ${list(outcome.expected)}. Nothing was changed.`,
        ...(outcome.retry
          ? { next: `Your link still works: go to Xero again and tick ${list(outcome.expected)}.`, action: { kind: 'continue', label: PAGE_WORDS.retry } as const }
          : { next: `Your link has run out: get a fresh one by direct message in ${APP[outcome.platform]}.`, action: { kind: 'fresh', label: PAGE_WORDS.fresh } as const }),
      });
    case 'refused': {
      const words = REFUSAL_WORDS[outcome.reason];
      const next = tellAdmins(outcome.reason) ? `${words.next} ${PAGE_WORDS.adminsTold}` : words.next;
      return withBack({ tone: 'bad', title: words.title, text: words.text, next, ...retryOf(outcome.retry, outcome.reason) });
    }
  }
}

function retryOf(retry: boolean, reason: ConsentRefusal): Pick<PageView, 'action'> {
  if (!retry || reason === 'operator') return {};
  return { action: { kind: 'continue', label: PAGE_WORDS.retry } };
}

export const REFUSAL_WORDS: Record<ConsentRefusal, { title: string; text: string; next: string }> = {
  declined: {
    title: 'Access was not allowed at Xero',
    text: 'Xero came back without access: the sign-in was cancelled, or Xero refused it. Nothing was changed.',
    next: 'When you are ready, go to Xero again from here and allow access.',
  },
  connection_cap: {
    title: 'Xero would not add the organisation',
    text: "Xero refused to add another organisation to Xero Guard's Xero app: the app has reached the number of connections its Xero pricing tier allows. Nothing was changed.",
    next: "Whoever runs Xero Guard can free a connection (disconnect an organisation that is no longer needed) or move the Xero app to a higher tier in Xero's developer portal, then try again.",
  },
  xero_refused: {
    title: 'Xero refused the sign-in',
    text: 'Xero sent you back without access and without a reason Xero Guard can act on. Nothing was changed.',
    next: "Try again from here. If it happens again, an admin should check the Xero app in Xero's developer portal.",
  },
  code_refused: {
    title: 'Xero did not accept this sign-in',
    text: 'Xero refused to finish the sign-in: it may have taken too long, or it was finished already in another window. Nothing was changed.',
    next: 'Go to Xero again from here.',
  },
  unverified: {
    title: 'The sign-in could not be verified',
    text: "Xero's answer did not pass Xero Guard's security checks, so nothing was changed.",
    next: 'Go to Xero again from here. If it keeps happening, tell whoever runs Xero Guard.',
  },
  xero_down: {
    title: 'Xero did not answer',
    text: 'Xero did not answer in time. Nothing was changed.',
    next: 'Try again in a few minutes from here.',
  },
  operator: {
    title: "Xero Guard's Xero app is misconfigured",
    text: "Xero refused the app's own client id or secret. Nothing was changed, and trying again will not help yet.",
    next: 'Whoever runs Xero Guard must fix the Xero app credentials in its settings.',
  },
  nothing_authorised: {
    title: 'No organisation was added',
    text: 'Xero finished the sign-in but reported no organisation for it: none was ticked, or Xero would not add one (for example because the Xero app is at its connection limit). Nothing was changed.',
    next: 'Go to Xero again from here and tick the organisation. If it keeps happening, the app may be at its limit.',
  },
};

function backLabel(platform: Platform, name: string | null | undefined): string {
  return name ? `Back to ${platform === 'slack' && !name.startsWith('#') ? `#${name}` : name} in ${APP[platform]}` : `Back to ${APP[platform]}`;
}

/** The chat message admins (and the person) get when Xero refused a consent: the page's words. */
export const REFUSAL_CHAT = {
  title: (reason: ConsentRefusal) => REFUSAL_WORDS[reason].title,
  text: (who: string, purpose: 'connect' | 'reconnect', names: readonly string[], reason: ConsentRefusal) =>
    `${who} tried to ${purpose === 'reconnect' ? `reconnect ${list(names)}` : 'connect Xero organisations'} at Xero. ${REFUSAL_WORDS[reason].text} ${ADMIN_NEXT[reason]}`,
};

const ADMIN_NEXT: Record<ConsentRefusal, string> = {
  declined: 'They can go to Xero again from the same page.',
  connection_cap: "To make room: disconnect an organisation that is no longer needed (/xero disconnect), or move the Xero app to a higher tier in Xero's developer portal. Then they can try again from the same page.",
  xero_refused: "They can try again from the same page; if it keeps failing, check the Xero app in Xero's developer portal.",
  code_refused: 'They can go to Xero again from the same page.',
  unverified: "They can try again from the same page; if it keeps failing, check that the service's clock is right and that it reaches Xero directly.",
  xero_down: 'They can try again in a few minutes from the same page.',
  operator: "Fix the Xero app's client id and secret in the service's settings (XERO_CLIENT_ID, XERO_CLIENT_SECRET), then restart it.",
  nothing_authorised: "They can try again from the same page and tick the organisation; if Xero still adds none, the Xero app may be at its connection limit (see Xero's developer portal).",
};
