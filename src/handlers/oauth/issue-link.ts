// Single-use links to Xero's consent page (DESIGN.md sections 1.1, 1.6, 8). The link carries a
// random token; only its hash is stored, bound to the purpose, the chat user and (for a reconnect)
// the connection. It expires in 30 minutes and works once.
import { createHash, randomBytes } from 'node:crypto';
import { err, ok, type Result } from '../../domain/result.ts';
import type { ChatActor } from '../../domain/permissions.ts';
import type { Clock, LinkIssuer, LinkPurpose } from '../ports.ts';
import type { LinkTokens, NewLink } from '../xero-repos.ts';

export type { LinkPurpose };

export const LINK_LIFETIME_MS = 30 * 60_000;

export type { LinkTokens, NewLink };

export type IssueLinkDeps = { links: LinkTokens; clock: Clock; publicUrl: string };

export type IssuedLink = { linkId: string; url: string; expiresAt: Date; purpose: LinkPurpose };

export type IssueLinkInput =
  | { purpose: 'connect'; actor: ChatActor }
  | { purpose: 'reconnect'; actor: ChatActor; connectionId: string; incidentId?: string; connectionIds?: string[] };

export async function issueLink(deps: IssueLinkDeps, input: IssueLinkInput): Promise<Result<IssuedLink, { code: 'connection_not_found' }>> {
  const connectionIds = input.purpose === 'reconnect' ? [...new Set([input.connectionId, ...(input.connectionIds ?? [])])] : [];
  for (const id of connectionIds) if (!(await deps.links.connectionExists(id))) return err({ code: 'connection_not_found' });
  const token = randomBytes(32).toString('base64url');
  const expiresAt = new Date(deps.clock.now().getTime() + LINK_LIFETIME_MS);
  const created = await deps.links.create({
    tokenHash: hashSecret(token),
    purpose: input.purpose,
    actor: input.actor,
    connectionIds: input.purpose === 'reconnect' ? connectionIds : undefined,
    incidentId: input.purpose === 'reconnect' ? input.incidentId : undefined,
    expiresAt,
  });
  const url = `${deps.publicUrl.replace(/\/+$/, '')}/xero/connect?t=${token}`;
  return ok({ linkId: created.id, url, expiresAt, purpose: input.purpose });
}

/** Link tokens and OAuth states are stored as SHA-256 hashes: a database leak opens no consent. */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret).digest('hex');
}

/**
 * The LinkIssuer the handlers use: links issued here, against the links repository. A reconnect
 * for a connection that no longer exists is a bug in the caller, so it throws.
 */
export function createLinkIssuer(deps: { links: LinkTokens & { hasLiveLink(connectionId: string, person: ChatActor, since: Date, now: Date): Promise<boolean> }; clock: Clock; publicUrl: string }): LinkIssuer {
  return {
    async issue(input) {
      const issued = await issueLink(
        deps,
        input.purpose === 'reconnect'
          ? { purpose: 'reconnect', actor: input.actor, connectionId: input.connectionId ?? '', connectionIds: input.connectionIds, incidentId: input.incidentId }
          : { purpose: 'connect', actor: input.actor },
      );
      if (!issued.ok) throw new Error(`cannot issue a reconnect link: ${issued.error.code}`);
      return { url: issued.value.url, expiresAt: issued.value.expiresAt };
    },
    hasLiveLink: (connectionId, person, since) => deps.links.hasLiveLink(connectionId, person, since, deps.clock.now()),
  };
}
