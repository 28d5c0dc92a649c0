// `/xero connect`: an admin gets a single-use link, shown only to them.
import type { ChatActor } from '../../domain/permissions.ts';
import { linkView } from '../../domain/views/text.ts';
import { ANSWERS, DM } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { HandlerResult } from '../types.ts';
import { answer, fail, refusal } from '../common.ts';

export async function connect(deps: HandlerDeps, actor: ChatActor): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'connect');
  if (refused) return refused;
  try {
    const link = await deps.links.issue({ purpose: 'connect', actor });
    await deps.store.connections.log({ kind: 'action', operation: 'connect_link', outcome: 'info', actor, at: deps.clock.now() });
    return answer(linkView('connect', DM.connect, link.url, link.expiresAt));
  } catch (error) {
    deps.log.error({ err: error }, 'could not issue connect link');
    return fail('internal', ANSWERS.internal, 'link_failed');
  }
}
