// The Xero-talking half of a consent (the use case is src/handlers/oauth/consent.ts): the authorize
// URL with a fresh state, OpenID nonce and PKCE pair (openid-client), the code exchange that checks
// them, the id_token read for who consented, and the organisations a token reaches. Tokens leave
// here sealed by the cipher; the verifier waits for the callback sealed too.
import { randomBytes } from 'node:crypto';
import { err, ok } from '../../domain/result.ts';
import type { XeroCallFailure, XeroConsentPort } from '../../handlers/ports.ts';
import type { XeroFailure } from './failure.ts';
import type { XeroGateway } from './gateway.ts';
import type { GrantStore } from './grant-store.ts';
import type { TokenCipher } from './token-cipher.ts';
import { openid } from './transport.ts';

export type ConsentTripDeps = {
  gateway: Pick<XeroGateway, 'consentUrl' | 'exchangeCode' | 'connections' | 'deleteConnection'>;
  cipher: TokenCipher;
  grants: Pick<GrantStore, 'seal'>;
};

export function createConsentTrips(deps: ConsentTripDeps): XeroConsentPort {
  return {
    async startTrip() {
      const checks = { state: randomBytes(32).toString('base64url'), nonce: randomBytes(24).toString('base64url'), codeVerifier: openid.generators.codeVerifier() };
      const url = await deps.gateway.consentUrl(checks);
      if (!url.ok) return err(safe(url.error));
      return ok({ url: url.value, state: checks.state, nonce: checks.nonce, verifierEnc: deps.cipher.encrypt(checks.codeVerifier) });
    },

    async finishTrip(callbackQuery, trip) {
      const verifier = deps.cipher.decrypt(trip.verifierEnc);
      if (!verifier.ok) return err({ code: 'verifier_unreadable' as const });
      const exchanged = await deps.gateway.exchangeCode(callbackQuery, { state: trip.state, nonce: trip.nonce, codeVerifier: verifier.value });
      if (!exchanged.ok) return err({ code: 'xero' as const, ...safe(exchanged.error) });
      const { tokens, claims } = exchanged.value;
      return ok({ ...claims, tokens: deps.grants.seal(tokens), accessToken: tokens.accessToken });
    },

    async listConnections(accessToken) {
      const listed = await deps.gateway.connections(accessToken);
      return listed.ok ? listed : err(safe(listed.error));
    },

    async removeConnection(accessToken, xeroConnectionId) {
      const removed = await deps.gateway.deleteConnection(accessToken, xeroConnectionId);
      return removed.ok ? removed : err(safe(removed.error));
    },
  };
}

function safe(failure: XeroFailure): XeroCallFailure {
  return { cause: failure.cause, status: failure.status, xeroError: failure.xeroError, ...(failure.clientCheck ? { clientCheck: true } : {}) };
}
