// Disconnect on our side (DESIGN.md section 1.4): remove the tenant at Xero while the token still
// works, revoke the grant when no other connection uses it, erase the tokens, keep the settings.
// A dead token is not an obstacle: then only the local part happens, and the outcome says so.
import type { ChatActor } from '../../domain/permissions.ts';
import type { Clock, ConnectionLogWriter, DisconnectOutcome } from '../../handlers/ports.ts';
import type { XeroConnectionsRepo } from '../../handlers/xero-repos.ts';
import type { Logger } from '../observability/logger.ts';
import type { XeroGateway } from './gateway.ts';
import type { GrantStore } from './grant-store.ts';
import type { Refresher } from './refresh-grant.ts';

export type DisconnectDeps = {
  connections: XeroConnectionsRepo;
  grants: GrantStore;
  gateway: Pick<XeroGateway, 'connections' | 'deleteConnection' | 'revoke'>;
  refresher: Refresher;
  connectionLog: ConnectionLogWriter;
  clock: Clock;
  log: Logger;
};

export async function disconnectConnection(deps: DisconnectDeps, connectionId: string, actor: ChatActor): Promise<DisconnectOutcome> {
  const connection = await deps.connections.target(connectionId);
  if (!connection) throw new Error(`disconnect: no connection ${connectionId}`);
  const log = deps.log.child({ connectionId, tenantId: connection.tenantId });
  const outcome: DisconnectOutcome = { tenantRemoval: 'skipped', grantRevocation: 'skipped', tokensErased: false };
  const errors: string[] = [];
  const grantId = connection.grantId;

  if (grantId) {
    // 1. A working token, if there is one. A dead one (invalid_grant, or tokens no configured
    // key decrypts) means local work only.
    const fresh = await deps.refresher.ensureFresh(grantId);
    const grant = await deps.grants.get(grantId);
    if (!fresh.ok) {
      const unusable = fresh.error.cause === 'token_revoked' || fresh.error.cause === 'encryption_key_changed';
      if (!unusable) errors.push(`token: ${fresh.error.message}`);
      outcome.tenantRemoval = unusable ? 'skipped' : 'failed';
    } else {
      // 2. DELETE /connections/{id} takes Xero's connection id; find it if we never stored it.
      let xeroConnectionId = connection.xeroConnectionId;
      if (!xeroConnectionId) {
        const listed = await deps.gateway.connections(fresh.value.accessToken);
        if (listed.ok) xeroConnectionId = listed.value.find((c) => c.tenantId === connection.tenantId)?.id ?? null;
        if (listed.ok && !xeroConnectionId) outcome.tenantRemoval = 'already_gone';
        if (!listed.ok) {
          outcome.tenantRemoval = 'failed';
          errors.push(`connections: ${listed.error.message}`);
        }
      }
      if (xeroConnectionId) {
        const removed = await deps.gateway.deleteConnection(fresh.value.accessToken, xeroConnectionId);
        if (removed.ok) outcome.tenantRemoval = removed.value;
        else {
          outcome.tenantRemoval = 'failed';
          errors.push(`delete: ${removed.error.message}`);
        }
      }
    }

    // 3. Revoke the grant only when nobody else rides on it: revocation ends every connection of
    // that token set (xero-node 4.10.1), not just this one.
    const others = await deps.connections.countOthersOnGrant(grantId, connectionId);
    if (others > 0) {
      outcome.grantRevocation = 'kept_for_other_connections';
    } else if (fresh.ok && grant?.refreshToken) {
      const revoked = await deps.gateway.revoke(grant.refreshToken);
      outcome.grantRevocation = revoked.ok ? 'revoked' : 'failed';
      if (!revoked.ok) errors.push(`revoke: ${revoked.error.message}`);
    }

    // 4. Erase locally, whatever Xero said: the person asked for the connection to end here.
    await deps.connections.detachGrant(connectionId);
    if (others === 0) await deps.grants.erase(grantId, deps.clock.now(), outcome.grantRevocation === 'revoked');
    // Shared tokens stay for the other organisations; this connection no longer points at them.
    outcome.tokensErased = others === 0;
  } else {
    // Already disconnected (a double click, or a second replica): nothing left to do.
    outcome.tokensErased = true;
  }

  if (errors.length > 0) outcome.error = errors.join('; ');
  const failed = outcome.tenantRemoval === 'failed' || outcome.grantRevocation === 'failed';
  await deps.connectionLog.append({
    connectionId,
    tenantId: connection.tenantId,
    kind: 'disconnect',
    operation: 'disconnect',
    outcome: failed ? 'failure' : 'ok',
    actor,
    detail: `tenant ${outcome.tenantRemoval}; grant ${outcome.grantRevocation}; tokens ${outcome.tokensErased ? 'erased' : 'kept'}${outcome.error ? `; ${outcome.error}` : ''}`,
    at: deps.clock.now(),
  });
  log.info({ tenantRemoval: outcome.tenantRemoval, grantRevocation: outcome.grantRevocation, actorId: actor.userId }, 'connection disconnected');
  return outcome;
}
