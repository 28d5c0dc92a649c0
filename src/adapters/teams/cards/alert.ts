// The alert card: one per incident, edited in place as steps happen (DESIGN.md sections 2.1 and 3).
// The words come from the AlertView and src/domain/views; this file only lays them out. Times sit
// in TextBlocks (Teams fills DATE/TIME there only), so every reader sees their own zone.
import { ACTION_IDS, NOTE_MAX_CHARS, SEND_LINK_INPUT, SNOOZE_CHOICES, type ButtonAction, type ButtonValue } from '../../../domain/actions.ts';
import { LIFECYCLE, LIFECYCLE_ANSWERS } from '../../../domain/views/wording.ts';
import type { AlertButton, AlertView, Person } from '../../../domain/views/model.ts';
import { LABELS } from '../../../domain/views/wording.ts';
import { plainText } from '../../../domain/views/phrase.ts';
import { card, escapeMarkdown, formatTime, header, innerCard, localTime, mdPhrase, mention, text, type Action, type AdaptiveCard, type Element } from './card.ts';

const STEP_KEYS = ['disconnectedHere', 'confirmedInXero', 'reconnectRequested', 'reconnected'] as const;

export function alertCard(view: AlertView): AdaptiveCard {
  const resolved = view.resolved;
  const title = resolved ? `${view.tenantName}: ${LABELS.restored}` : `${view.tenantName}: ${view.headline}`;
  const subtitle = resolved
    ? mdPhrase(resolved.by ? LABELS.resolvedBy(resolved.by, resolved.at, resolved.recoveredAfterMs) : LABELS.resolvedAt(resolved.at, resolved.recoveredAfterMs))
    : undefined;
  const body: Element[] = [
    header(title, resolved ? 'good' : 'danger', subtitle),
    text(`${resolved ? `**${LABELS.was}:** ` : ''}${escapeMarkdown(view.explanation)}`),
    field(LABELS.organisation, escapeMarkdown(view.tenantName)),
    field(resolved ? LABELS.wasBrokenSince : LABELS.brokenSince, formatTime(view.since)!),
    field(LABELS.connectedBy, mention(view.connectedBy)),
    field(LABELS.lastGoodCheck, view.lastGoodCheck ? formatTime(view.lastGoodCheck)! : LABELS.never),
  ];
  if (!resolved && view.inMotion.length > 0) {
    body.push(text(`**${LABELS.inMotion}**`, { spacing: 'Medium' }));
    for (const line of view.inMotion) body.push(text(`⏳ ${mdPhrase(line)}`, { spacing: 'Small' }));
  }
  const steps = STEP_KEYS.flatMap((key) => {
    const step = view.steps[key];
    return step ? [`✅ ${mdPhrase(LABELS.stepDone(LABELS.steps_[key], step.by, step.at))}`] : [];
  });
  if (steps.length > 0) {
    body.push(text(`**${LABELS.steps}**`, { spacing: 'Medium' }));
    for (const line of steps) body.push(text(line, { spacing: 'Small' }));
  }
  if (!resolved && view.nextStep) body.push(text(`**${LABELS.nextStep}:** ${mdPhrase(view.next ?? view.nextStep)}`, { spacing: 'Medium' }));
  body.push(...lifecycleLines(view));
  const actions = [...(resolved ? [] : view.buttons.map((button) => buttonFor(button, view))), ...lifecycleActions(view)];
  const fallback = resolved ? `${title}. ${LABELS.resolved(resolved.recoveredAfterMs)}` : `${title}. ${plainText(view.next ?? view.nextStep)}`;
  return card(body, actions, fallback);
}

function field(label: string, value: string): Element {
  return text(`**${label}:** ${value}`, { spacing: 'Small' });
}

/** Owner, snooze and note, each a line of its own under the next step. */
function lifecycleLines(view: AlertView): Element[] {
  const lines: Element[] = [];
  const name = (p: Person) => mention(p);
  if (view.owner) lines.push(text(`🙋 ${LIFECYCLE.ownerLine(name(view.owner.by), localTime(view.owner.at))}`, { spacing: 'Small' }));
  if (view.snoozed) lines.push(text(`💤 ${LIFECYCLE.snoozedLine(localTime(view.snoozed.until), name(view.snoozed.by))}`, { spacing: 'Small' }));
  if (view.note) lines.push(text(`📝 ${LIFECYCLE.noteLine(name(view.note.by), escapeMarkdown(view.note.text))}`, { spacing: 'Small' }));
  return lines;
}

/** "I'm on it" (or "Take over"), Snooze with its choices, and "What fixed it?" with a text box. */
function lifecycleActions(view: AlertView): Action[] {
  const value = { incidentId: view.incidentId, connectionId: view.connectionId };
  return (view.lifecycleButtons ?? []).map((button): Action => {
    switch (button) {
      case 'own':
        return executeAction('own', value, view.owner ? LIFECYCLE.buttonTakeOver : LIFECYCLE.buttonOwn);
      case 'snooze':
        return {
          type: 'Action.ShowCard',
          title: LIFECYCLE.buttonSnooze,
          card: innerCard(
            [{ type: 'Input.ChoiceSet', id: 'snooze', style: 'expanded', value: '1h', isRequired: true, choices: SNOOZE_CHOICES.map((c) => ({ title: LIFECYCLE.snoozeChoices[c], value: c })) }],
            [executeAction('snooze', value, LIFECYCLE.buttonSnooze)],
          ),
        };
      case 'note':
        return {
          type: 'Action.ShowCard',
          title: LIFECYCLE.buttonNote,
          card: innerCard(
            [{ type: 'Input.Text', id: 'note', label: LIFECYCLE.noteLabel, placeholder: LIFECYCLE.notePlaceholder, isMultiline: true, maxLength: NOTE_MAX_CHARS, isRequired: true, errorMessage: LIFECYCLE_ANSWERS.noteEmpty }],
            [executeAction('note', value, LIFECYCLE.noteSubmit)],
          ),
        };
    }
  });
}

/** Action.Execute data is the button value itself: ids only, checked again by the handler. */
export function executeAction(button: Exclude<AlertButton, 'sendLink'> | 'own' | 'snooze' | 'note', value: ButtonValue, title: string = button in LABELS.buttons ? LABELS.buttons[button as keyof typeof LABELS.buttons] : button): Action {
  return {
    type: 'Action.Execute',
    title,
    verb: ACTION_IDS[button],
    data: { incidentId: value.incidentId, connectionId: value.connectionId },
    ...(button === 'reconnect' ? { style: 'positive' as const } : {}),
    ...(button === 'disconnect' ? { style: 'destructive' as const } : {}),
  };
}

function buttonFor(button: AlertButton, view: AlertView): Action {
  const value = { incidentId: view.incidentId, connectionId: view.connectionId };
  if (button === 'sendLink') return sendLinkAction(view, value);
  if (button !== 'disconnect') return executeAction(button, value);
  // Adaptive Cards have no confirm dialog: Disconnect opens a small card that asks first, with the
  // same words as Slack's confirm dialog.
  return {
    type: 'Action.ShowCard',
    title: LABELS.buttons.disconnect,
    card: innerCard(
      [text(`**${escapeMarkdown(LABELS.confirmDisconnect.title(view.tenantName))}**`), text(escapeMarkdown(LABELS.confirmDisconnect.text(view.tenantName)))],
      [executeAction('disconnect', value, LABELS.confirmDisconnect.confirm)],
    ),
  };
}

/**
 * "Send link to…": a people picker (Teams searches the organisation's directory), then the same
 * Action.Execute as the other buttons; the chosen person's id arrives in the data beside the ids.
 */
function sendLinkAction(view: AlertView, value: ButtonValue): Action {
  return {
    type: 'Action.ShowCard',
    title: LABELS.buttons.sendLink,
    card: innerCard(
      [
        {
          type: 'Input.ChoiceSet',
          id: SEND_LINK_INPUT,
          placeholder: LABELS.buttons.sendLink,
          choices: [],
          'choices.data': { type: 'Data.Query', dataset: 'graph.microsoft.com/users' },
          isRequired: true,
          errorMessage: LABELS.sendLinkNoOne,
        },
      ],
      [{ type: 'Action.Execute', title: LABELS.buttons.sendLink, verb: ACTION_IDS.sendLink, data: { ...value }, style: 'positive' }],
    ),
  };
}
