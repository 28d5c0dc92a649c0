// What a trip through Xero's consent can end in, as a closed vocabulary, and the decisions it
// makes: whether a link still works, what Xero's refusal at the callback means, and which of the
// link's organisations a reconnect repaired. Pure: the consent handler (src/handlers/oauth/consent.ts)
// gathers the facts, src/domain/views/pages.ts words the page.
import type { Platform } from './permissions.ts';

export type LinkPurpose = 'connect' | 'reconnect';

/** A chat channel a page can link back to (the alert channel of the link's platform). */
export type ChannelRef = { platform: Platform; externalId: string; name?: string | null; teamId?: string | null; tenantId?: string | null };

/** Why a consent came back without binding anything. */
export const CONSENT_REFUSALS = ['declined', 'connection_cap', 'xero_refused', 'code_refused', 'unverified', 'xero_down', 'operator', 'nothing_authorised'] as const;
export type ConsentRefusal = (typeof CONSENT_REFUSALS)[number];

/**
 * Refusals the admins hear about in chat: every one, since from the callback we cannot tell a
 * person's cancel from Xero turning the app away (both come back as access_denied).
 */
export function tellAdmins(reason: ConsentRefusal): boolean {
  return CONSENT_REFUSALS.includes(reason);
}

type Where = { platform: Platform; back?: ChannelRef };

export type NotBound = { name: string; why: 'not_ticked' | 'not_in_link' };

export type ConsentOutcome =
  /** The link's own page, before Xero: what it will do, and "Continue to Xero". */
  | ({ kind: 'link_open'; purpose: LinkPurpose; names: string[]; minutesLeft: number } & Where)
  /** A link that has done its job or run out: one click sends a fresh one by direct message. */
  | ({ kind: 'link_closed'; state: 'used' | 'expired'; canRenew: boolean } & Where)
  | { kind: 'link_invalid'; state: 'missing' | 'unknown' }
  | ({ kind: 'fresh_sent'; already: boolean } & Where)
  | ({ kind: 'fresh_failed' } & Where)
  /** The callback could not be matched to a trip we started (or it is still being handled). */
  | { kind: 'sign_in'; state: 'unknown' | 'expired' | 'in_progress'; retry: boolean }
  | ({ kind: 'bound'; purpose: LinkPurpose; bound: string[]; notBound: NotBound[]; alertChannel: boolean } & Where)
  | ({ kind: 'wrong_organisation'; authorised: string[]; expected: string[]; retry: boolean } & Where)
  | ({ kind: 'refused'; reason: ConsentRefusal; retry: boolean } & Where);

export type ReconnectTarget = { id: string; tenantId: string; tenantName: string };
export type Authorised = { tenantId: string; tenantName: string };

/**
 * The same-organisation rule, per organisation: a reconnect binds each of the link's organisations
 * whose tenant this consent authorised, and nothing else. Organisations ticked at Xero that the
 * link is not for are reported, never bound.
 */
export function matchReconnect<T extends ReconnectTarget>(targets: readonly T[], authorised: readonly Authorised[]) {
  const ticked = new Set(authorised.map((a) => a.tenantId));
  const wanted = new Set(targets.map((t) => t.tenantId));
  return {
    matched: targets.filter((t) => ticked.has(t.tenantId)),
    notTicked: targets.filter((t) => !ticked.has(t.tenantId)),
    strays: authorised.filter((a) => !wanted.has(a.tenantId)),
  };
}

/** A link is finished when every organisation it was for is bound (a connect link: when anything is). */
export function linkFinished(purpose: LinkPurpose, remaining: number, boundNow: number): boolean {
  return purpose === 'connect' ? boundNow > 0 : remaining === 0;
}

export type LinkState = 'live' | 'used' | 'expired';

/** A link works until a consent through it bound everything it was for, or until it expires. */
export function linkState(link: { usedAt: Date | null; expiresAt: Date }, now: Date): LinkState {
  if (link.usedAt) return 'used';
  return link.expiresAt.getTime() > now.getTime() ? 'live' : 'expired';
}

/**
 * Xero's words at the callback: access_denied is the person's cancel (or Xero's refusal); a
 * description naming a limit is the app's connection cap for its pricing tier.
 */
export function classifyCallbackError(error: string, description: string | null): ConsentRefusal {
  const words = `${error} ${description ?? ''}`.toLowerCase();
  if (/limit|maximum|cap\b|tier|quota|too many/.test(words)) return 'connection_cap';
  if (error === 'access_denied') return 'declined';
  if (error === 'temporarily_unavailable' || error === 'server_error') return 'xero_down';
  return 'xero_refused';
}
