// `/xero here`: this channel receives the alerts of its platform from now on. Alerts still open in
// the previous channel are re-posted here, so the channel people now watch shows every open problem
// with working buttons; the originals stay where they were and both copies keep being edited (each
// step edits every posted copy). The previous channel is told where the alerts went.
import type { ChatActor, Platform } from '../../domain/permissions.ts';
import { textView } from '../../domain/views/text.ts';
import { ANSWERS, MOVED } from '../../domain/views/wording.ts';
import type { HandlerDeps } from '../deps.ts';
import type { CommandContext, HandlerResult } from '../types.ts';
import type { ChatTargetRow, Repos, OutboxInput } from '../store.ts';
import { answer, fail, refusal } from '../common.ts';
import { currentViewOf, postsTo } from '../messages.ts';
import { NOTICE_KIND, unreachableView } from '../transient-notice.ts';
import { noticeKeyOf } from '../notices.ts';
import { TROUBLE_KIND, troubleView } from '../xero-trouble.ts';

const PLATFORM_NAMES: Record<Platform, string> = { slack: 'Slack', teams: 'Teams' };

export async function here(deps: HandlerDeps, actor: ChatActor, context: CommandContext): Promise<HandlerResult> {
  const refused = refusal(deps, actor, 'set_alert_channel');
  if (refused) return refused;
  const channelId = context.channelId;
  if (!channelId || context.isDirect) return fail('bad_request', ANSWERS.hereNeedsChannel, 'no_channel');
  const now = deps.clock.now();
  const platform = PLATFORM_NAMES[context.platform];
  const moved = await deps.store.transaction(async (tx) => {
    const { target, previous } = await tx.targets.makeAlertChannel({
      platform: context.platform,
      externalId: channelId,
      name: context.channelName,
      teamId: context.teamId,
      conversationReference: context.conversationReference,
    });
    let count = 0;
    if (previous.length > 0) {
      // Organisations that alerted in this platform's previous channel follow it here.
      await tx.connections.setAlertTargetFrom(previous, target.id);
      const rows = await repostOpenAlerts(tx, deps, previous, target, now);
      count = rows.length;
      const note = textView(MOVED.text(platform, context.channelName, actor, count), 'info', [], MOVED.title);
      for (const id of previous) {
        const old = await tx.targets.get(id);
        if (old) rows.push(...postsTo([old], `moved:${target.id}:${now.getTime()}`, note, { purpose: 'notice' }));
      }
      await tx.outbox.enqueue(rows, now);
    }
    await tx.connections.log({
      kind: 'action',
      operation: 'here',
      outcome: 'info',
      actor,
      detail: `${context.platform} alert channel ${channelId}${count > 0 ? `; ${count} open alert(s) re-posted` : ''}`,
      at: now,
    });
    return { from: previous.length, reposted: count };
  });
  // Moving from a previous channel queued its note (and any re-posts).
  if (moved.from > 0) deps.wakeOutbox?.();
  return answer(textView(ANSWERS.here(platform, moved.reposted), 'good'), { queued: moved.from > 0 });
}

/**
 * One post in the new channel for each open alert, summary or grouped notice that has a copy in a
 * previous channel and none here yet (running `here` twice re-posts nothing). Incidents still in
 * their group window are not posted anywhere yet: they will be announced here.
 */
async function repostOpenAlerts(tx: Repos, deps: HandlerDeps, previous: string[], target: ChatTargetRow, now: Date): Promise<OutboxInput[]> {
  const follows = async (messageKey: string) => {
    const copies = await tx.outbox.postedCopies(`${messageKey}@`);
    return copies.some((c) => c.targetId !== null && previous.includes(c.targetId)) && !copies.some((c) => c.targetId === target.id);
  };
  const rows: OutboxInput[] = [];
  for (const alertKey of await tx.incidents.openAlertKeys()) {
    if (!(await follows(alertKey))) continue;
    const view = await currentViewOf(tx, alertKey, deps.settings.groupWindowMs);
    if (view) rows.push(...postsTo([target], alertKey, view, { purpose: 'alert' }));
  }
  const notice = await tx.notices.findOpen(NOTICE_KIND);
  if (notice && (await follows(noticeKeyOf(notice)))) {
    rows.push(...postsTo([target], noticeKeyOf(notice), unreachableView(notice, now, deps.settings), { purpose: 'notice' }));
  }
  const trouble = await tx.notices.findOpen(TROUBLE_KIND);
  if (trouble && (await follows(noticeKeyOf(trouble)))) {
    rows.push(...postsTo([target], noticeKeyOf(trouble), troubleView(trouble, now, deps.settings), { purpose: 'notice' }));
  }
  return rows;
}
