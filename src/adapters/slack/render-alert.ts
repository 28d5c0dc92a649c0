// The alert message (DESIGN.md section 5): header with the organisation and what happened, the
// cause in plain words, fields, the steps done so far, the next step, and the three buttons. The
// same message is edited in place as steps happen; once resolved it turns green and loses them.
import { createHash } from 'node:crypto';
import { ACTION_IDS, SNOOZE_CHOICES, encodeButtonValue } from '../../domain/actions.ts';
import { LIFECYCLE } from '../../domain/views/wording.ts';
import { formatDuration } from '../../domain/duration.ts';
import type { AlertView, StepDone } from '../../domain/views/model.ts';
import { COLORS, TONE_EMOJI, clip, md, mention, mrkdwn, plain, slackDate, type Block, type ButtonElement, type SelectElement, type SlackMessage } from './blocks.ts';

const STEP_LABELS: { key: keyof AlertView['steps']; label: string }[] = [
  { key: 'disconnectedHere', label: 'Disconnected in Xero Guard' },
  { key: 'confirmedInXero', label: 'Disconnected in Xero too' },
  { key: 'reconnectRequested', label: 'Reconnect link sent' },
  { key: 'reconnected', label: 'Reconnected' },
];

export function renderAlert(view: AlertView): SlackMessage {
  const resolved = view.resolved;
  // A new block_id per iteration: Slack keeps client state per block_id, and an edited message
  // should not inherit the state of the one it replaces.
  const iteration = createHash('sha1').update(JSON.stringify([view.steps, view.resolved, view.buttons])).digest('hex').slice(0, 10);
  const blocks: Block[] = [];

  const emoji = resolved ? TONE_EMOJI.good : TONE_EMOJI.danger;
  const what = resolved ? 'connection restored' : view.headline;
  blocks.push({ type: 'header', block_id: `xg_head:${iteration}`, text: plain(`${emoji} ${view.tenantName}: ${what}`, 150) });

  if (resolved) {
    const by = resolved.by ? ` by ${mention(resolved.by)}` : '';
    blocks.push({
      type: 'section',
      block_id: `xg_resolved:${iteration}`,
      text: mrkdwn(`${TONE_EMOJI.good} *Resolved*${by} ${slackDate(resolved.at)}. Time to recover: *${formatDuration(resolved.recoveredAfterMs)}*.`),
    });
  }
  blocks.push({ type: 'section', block_id: `xg_cause:${iteration}`, text: mrkdwn(`${resolved ? '*Was:* ' : ''}${md(view.explanation, 2_800)}`) });
  blocks.push({
    type: 'section',
    block_id: `xg_fields:${iteration}`,
    fields: [
      mrkdwn(`*Organisation*\n${md(view.tenantName, 500)}`),
      mrkdwn(`*${resolved ? 'Was broken since' : 'Broken since'}*\n${slackDate(view.since)}`),
      mrkdwn(`*Connected by*\n${mention(view.connectedBy)}`),
      mrkdwn(`*Last good check*\n${view.lastGoodCheck ? slackDate(view.lastGoodCheck) : 'never'}`),
    ],
  });

  const steps = STEP_LABELS.flatMap(({ key, label }) => {
    const step = view.steps[key];
    return step ? [stepLine(label, step)] : [];
  });
  if (steps.length > 0) blocks.push({ type: 'section', block_id: `xg_steps:${iteration}`, text: mrkdwn(`*Steps*\n${steps.join('\n')}`) });
  if (view.nextStep) blocks.push({ type: 'section', block_id: `xg_next:${iteration}`, text: mrkdwn(`*Next step:* ${md(view.nextStep, 2_800)}`) });

  const buttons = resolved ? [] : view.buttons.map((b) => alertButton(b, view));
  if (buttons.length > 0) blocks.push({ type: 'actions', block_id: `xg_actions:${iteration}`, elements: buttons });
  blocks.push(...lifecycleBlocks(view));
  blocks.push({ type: 'context', block_id: `xg_meta:${iteration}`, elements: [mrkdwn(metaLine(view))] });

  const text = resolved
    ? `${view.tenantName}: Xero connection restored after ${formatDuration(resolved.recoveredAfterMs)}`
    : `${view.tenantName}: ${view.headline}. ${view.explanation}`;
  return {
    text: clip(text, 3_000),
    blocks,
    // The colour bar is the at-a-glance state: red while broken, green once resolved.
    attachments: [
      {
        color: resolved ? COLORS.good : COLORS.danger,
        fallback: resolved ? 'Resolved' : 'Broken',
        blocks: [{ type: 'context', elements: [mrkdwn(resolved ? `${TONE_EMOJI.good} Resolved` : `${TONE_EMOJI.danger} Broken since ${slackDate(view.since)}`)] }],
      },
    ],
  };
}

function stepLine(label: string, step: StepDone): string {
  return `${TONE_EMOJI.good} ${label} by ${mention(step.by)} ${slackDate(step.at)}`;
}

function metaLine(view: AlertView): string {
  const parts = [`Cause: \`${view.cause}\``];
  // A status under 400 (a 200 without our tenant in it) is not what went wrong: show the words only.
  const status = view.httpStatus !== undefined && view.httpStatus >= 400 ? `HTTP ${view.httpStatus}` : undefined;
  const said = [status, view.xeroError ? md(view.xeroError, 300) : undefined].filter((p) => p !== undefined);
  if (said.length > 0) parts.push(`Xero said: ${said.join(' ')}`);
  parts.push(`Incident ${md(view.incidentId.slice(0, 8), 8)}`);
  return parts.join(' · ');
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

function alertButton(action: AlertView['buttons'][number], view: AlertView): ButtonElement {
  const value = encodeButtonValue({ incidentId: view.incidentId, connectionId: view.connectionId });
  switch (action) {
    case 'disconnect':
      return {
        type: 'button',
        action_id: ACTION_IDS.disconnect,
        text: plain('Disconnect', 75),
        style: 'danger',
        value,
        confirm: {
          title: plain(`Disconnect ${view.tenantName}?`, 100),
          text: plain(
            clip(`This removes the connection to ${view.tenantName} and erases its tokens. Its settings are kept, and you can reconnect it later.`, 300),
            300,
          ),
          confirm: plain('Disconnect', 30),
          deny: plain('Cancel', 30),
          style: 'danger',
        },
      };
    case 'reconnect':
      return { type: 'button', action_id: ACTION_IDS.reconnect, text: plain('Reconnect', 75), style: 'primary', value };
    case 'confirmXero':
      return { type: 'button', action_id: ACTION_IDS.confirmXero, text: plain('I disconnected in Xero too', 75), value };
  }
}
