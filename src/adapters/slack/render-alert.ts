// The alert message (DESIGN.md sections 2.1 and 5): header with the organisation and what
// happened, the cause in plain words, fields, what is already in motion, the steps done so far,
// the one next step, and the buttons that fit it ("Send link to…" is a person picker). The same
// message is edited in place as steps happen; once resolved it turns green and loses them. Every
// word comes from src/domain/views; names and user text are escaped, people are mentions, times
// show in each reader's own zone.
import { createHash } from 'node:crypto';
import { ACTION_IDS, SNOOZE_CHOICES, encodeButtonValue, sendLinkBlockId } from '../../domain/actions.ts';
import type { AlertButton, AlertView } from '../../domain/views/model.ts';
import { LABELS, LIFECYCLE } from '../../domain/views/wording.ts';
import { plainText } from '../../domain/views/phrase.ts';
import { COLORS, TONE_EMOJI, clip, md, mdPhrase, mention, mrkdwn, plain, slackDate, type Block, type ButtonElement, type SelectElement, type SlackMessage } from './blocks.ts';

const STEP_KEYS = ['disconnectedHere', 'confirmedInXero', 'reconnectRequested', 'reconnected'] as const;

export function renderAlert(view: AlertView): SlackMessage {
  const resolved = view.resolved;
  // A new block_id per iteration: Slack keeps client state per block_id, and an edited message
  // should not inherit the state of the one it replaces.
  const iteration = createHash('sha1').update(JSON.stringify([view.steps, view.resolved, view.buttons, view.linksSent])).digest('hex').slice(0, 10);
  const blocks: Block[] = [];

  const emoji = resolved ? TONE_EMOJI.good : TONE_EMOJI.danger;
  const what = resolved ? LABELS.restored : view.headline;
  // plain_text is shown as typed: Slack parses no mentions in it, so the name needs no escaping.
  blocks.push({ type: 'header', block_id: `xg_head:${iteration}`, text: plain(`${emoji} ${view.tenantName}: ${what}`, 150) });

  if (resolved) {
    const line = resolved.by ? LABELS.resolvedBy(resolved.by, resolved.at, resolved.recoveredAfterMs) : LABELS.resolvedAt(resolved.at, resolved.recoveredAfterMs);
    blocks.push({ type: 'section', block_id: `xg_resolved:${iteration}`, text: mrkdwn(`${TONE_EMOJI.good} ${mdPhrase(line)}`) });
  }
  blocks.push({ type: 'section', block_id: `xg_cause:${iteration}`, text: mrkdwn(`${resolved ? `*${LABELS.was}:* ` : ''}${md(view.explanation, 2_800)}`) });
  blocks.push({
    type: 'section',
    block_id: `xg_fields:${iteration}`,
    fields: [
      mrkdwn(`*${LABELS.organisation}*\n${md(view.tenantName, 500)}`),
      mrkdwn(`*${resolved ? LABELS.wasBrokenSince : LABELS.brokenSince}*\n${slackDate(view.since)}`),
      mrkdwn(`*${LABELS.connectedBy}*\n${mention(view.connectedBy)}`),
      mrkdwn(`*${LABELS.lastGoodCheck}*\n${view.lastGoodCheck ? slackDate(view.lastGoodCheck) : LABELS.never}`),
    ],
  });

  if (!resolved && view.inMotion.length > 0) {
    blocks.push({ type: 'section', block_id: `xg_motion:${iteration}`, text: mrkdwn(`*${LABELS.inMotion}*\n${view.inMotion.map((p) => `⏳ ${mdPhrase(p, 600)}`).join('\n')}`) });
  }
  const steps = STEP_KEYS.flatMap((key) => {
    const step = view.steps[key];
    return step ? [`${TONE_EMOJI.good} ${mdPhrase(LABELS.stepDone(LABELS.steps_[key], step.by, step.at), 600)}`] : [];
  });
  if (steps.length > 0) blocks.push({ type: 'section', block_id: `xg_steps:${iteration}`, text: mrkdwn(`*${LABELS.steps}*\n${steps.join('\n')}`) });
  if (view.nextStep) blocks.push({ type: 'section', block_id: `xg_next:${iteration}`, text: mrkdwn(`*${LABELS.nextStep}:* ${mdPhrase(view.next ?? view.nextStep, 2_800)}`) });

  const value = { incidentId: view.incidentId, connectionId: view.connectionId };
  const buttons = resolved ? [] : view.buttons.filter((b) => b !== 'sendLink').map((b) => alertButton(b, view));
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: `xg_actions:${iteration}`, elements: buttons });
  if (!resolved && view.buttons.includes('sendLink')) {
    blocks.push({
      type: 'actions',
      block_id: sendLinkBlockId(value, iteration),
      elements: [{ type: 'users_select', action_id: ACTION_IDS.sendLink, placeholder: plain(LABELS.buttons.sendLink, 150) }],
    });
  }
  blocks.push(...lifecycleBlocks(view));

  const fallback = resolved ? `${view.tenantName}: ${LABELS.restored}. ${LABELS.resolved(resolved.recoveredAfterMs)}` : `${view.tenantName}: ${view.headline}. ${plainText(view.next ?? view.nextStep)}`;
  return {
    // The notification text is mrkdwn too: escaped like the blocks.
    text: md(fallback, 3_000),
    blocks,
    // The colour bar is the at-a-glance state: red while broken, green once resolved.
    attachments: [
      {
        color: resolved ? COLORS.good : COLORS.danger,
        fallback: resolved ? 'Resolved' : 'Broken',
        blocks: [{ type: 'context', elements: [mrkdwn(resolved ? `${TONE_EMOJI.good} ${md(LABELS.resolved(resolved.recoveredAfterMs))}` : `${TONE_EMOJI.danger} ${LABELS.brokenSince} ${slackDate(view.since)}`)] }],
      },
    ],
  };
}

/** Owner, snooze and note lines, then the "I'm on it", snooze and "What fixed it?" controls. */
function lifecycleBlocks(view: AlertView): Block[] {
  const iteration = createHash('sha1').update(JSON.stringify([view.owner, view.snoozed, view.note, view.lifecycleButtons, view.resolved])).digest('hex').slice(0, 10);
  const lines: string[] = [];
  if (view.owner) lines.push(`:raising_hand: ${LIFECYCLE.ownerLine(mention(view.owner.by), slackDate(view.owner.at))}`);
  if (view.snoozed) lines.push(`:zzz: ${LIFECYCLE.snoozedLine(slackDate(view.snoozed.until), mention(view.snoozed.by))}`);
  if (view.note) lines.push(`:memo: ${LIFECYCLE.noteLine(mention(view.note.by), md(view.note.text, 1_200))}`);
  const blocks: Block[] = [];
  if (lines.length > 0) blocks.push({ type: 'section', block_id: `xg_life:${iteration}`, text: mrkdwn(lines.join('\n')) });
  const ids = { incidentId: view.incidentId, connectionId: view.connectionId };
  const elements = (view.lifecycleButtons ?? []).map((button): ButtonElement | SelectElement => {
    switch (button) {
      case 'own':
        return { type: 'button', action_id: ACTION_IDS.own, text: plain(view.owner ? LIFECYCLE.buttonTakeOver : LIFECYCLE.buttonOwn, 75), value: encodeButtonValue(ids) };
      case 'snooze':
        return {
          type: 'static_select',
          action_id: ACTION_IDS.snooze,
          placeholder: plain(LIFECYCLE.buttonSnooze, 150),
          options: SNOOZE_CHOICES.map((choice) => ({ text: plain(LIFECYCLE.snoozeChoices[choice], 75), value: encodeButtonValue({ ...ids, snooze: choice }) })),
        };
      case 'note':
        return { type: 'button', action_id: ACTION_IDS.note, text: plain(LIFECYCLE.buttonNote, 75), value: encodeButtonValue(ids) };
    }
  });
  if (elements.length > 0) blocks.push({ type: 'actions', block_id: `xg_life_actions:${iteration}`, elements });
  return blocks;
}

export function alertButton(action: Exclude<AlertButton, 'sendLink'>, view: Pick<AlertView, 'incidentId' | 'connectionId' | 'tenantName'>): ButtonElement {
  const value = encodeButtonValue({ incidentId: view.incidentId, connectionId: view.connectionId });
  switch (action) {
    case 'disconnect':
      return {
        type: 'button',
        action_id: ACTION_IDS.disconnect,
        text: plain(LABELS.buttons.disconnect, 75),
        style: 'danger',
        value,
        confirm: {
          title: plain(LABELS.confirmDisconnect.title(view.tenantName), 100),
          text: plain(clip(LABELS.confirmDisconnect.text(view.tenantName), 300), 300),
          confirm: plain(LABELS.confirmDisconnect.confirm, 30),
          deny: plain(LABELS.confirmDisconnect.deny, 30),
          style: 'danger',
        },
      };
    case 'reconnect':
      return { type: 'button', action_id: ACTION_IDS.reconnect, text: plain(LABELS.buttons.reconnect, 75), style: 'primary', value };
    case 'confirmXero':
      return { type: 'button', action_id: ACTION_IDS.confirmXero, text: plain(LABELS.buttons.confirmXero, 75), value };
  }
}
