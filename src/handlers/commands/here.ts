// `/xero here`: this channel receives the alerts of its platform from now on.
import type { ChatActor } from '../../domain/permissions.ts';
import { textView } from '../../domain/views/text.ts';
import { ANSWERS } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { CommandContext, HandlerResult } from '../types.ts';
import { answer, fail, refusal } from '../common.ts';

export async function here(deps: HandlerDeps, actor: ChatActor, context: CommandContext): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'set_alert_channel');
  if (refused) return refused;
  if (!context.channelId || context.isDirect) return fail('bad_request', ANSWERS.hereNeedsChannel, 'no_channel');
  const now = deps.clock.now();
  await deps.store.transaction(async (tx) => {
    const { target, previous } = await tx.targets.makeAlertChannel({
      platform: context.platform,
      externalId: context.channelId!,
      name: context.channelName,
      conversationReference: context.conversationReference,
    });
    // Organisations that alerted in this platform's previous channel follow it here.
    if (previous.length > 0) await tx.connections.setAlertTargetFrom(previous, target.id);
    await tx.connections.log({ kind: 'action', operation: 'here', outcome: 'info', actor, detail: `${context.platform} alert channel ${context.channelId}`, at: now });
  });
  return answer(textView(ANSWERS.here(context.platform === 'slack' ? 'Slack' : 'Teams'), 'good'));
}
