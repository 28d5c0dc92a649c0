// The alert card: one per incident, edited in place as steps happen (DESIGN.md sections 1 and 3).
// The words come from the AlertView; this file only lays them out.
import { ACTION_IDS, NOTE_MAX_CHARS, SNOOZE_CHOICES, type ButtonAction, type ButtonValue } from '../../../domain/actions.ts';
import { LIFECYCLE, LIFECYCLE_ANSWERS } from '../../../domain/views/wording.ts';
import { formatDuration } from '../../../domain/duration.ts';
import type { AlertView, Person } from '../../../domain/views/model.ts';
import {
  card,
  escapeMarkdown,
  facts,
  formatTime,
  header,
  innerCard,
  localTime,
  personName,
  stepDone,
  text,
  type Action,
  type AdaptiveCard,
  type Element,
} from './card.ts';

export function alertCard(view: AlertView): AdaptiveCard {
  const resolved = view.resolved;
  const title = resolved ? `${view.tenantName}: connection restored` : `${view.tenantName}: ${view.headline}`;
  const subtitle = resolved
    ? `Resolved ${formatTime(resolved.at)}, ${formatDuration(resolved.recoveredAfterMs)} after it broke${resolved.by ? `, by ${personName(resolved.by)}` : ''}`
    : undefined;
  const body: Element[] = [
    header(title, resolved ? 'good' : 'danger', subtitle),
    text(view.explanation),
    facts([
      ['Organisation', view.tenantName],
      [resolved ? 'Was broken since' : 'Broken since', formatTime(view.since)],
      ['Connected by', personName(view.connectedBy)],
      ['Last good check', formatTime(view.lastGoodCheck)],
      ['Xero said', xeroSaid(view)],
    ]),
    text('Steps', { weight: 'Bolder', spacing: 'Medium' }),
    facts(stepLines(view)),
  ];
  if (!resolved) body.push(text(`**Next:** ${view.nextStep}`, { spacing: 'Medium' }));
  body.push(...lifecycleLines(view));
  const actions = [...(resolved ? [] : view.buttons.map((button) => buttonFor(button, view))), ...lifecycleActions(view)];
  return card(body, actions, `${title}. ${view.explanation}`);
}

function xeroSaid(view: AlertView): string | undefined {
  if (view.httpStatus === undefined && !view.xeroError) return undefined;
  return [view.httpStatus !== undefined ? `HTTP ${view.httpStatus}` : undefined, view.xeroError].filter(Boolean).join(' · ');
}

function stepLines(view: AlertView): [string, string][] {
  const { disconnectedHere, confirmedInXero, reconnectRequested, reconnected } = view.steps;
  const reconnect = reconnected
    ? `✅ ${stepDone(reconnected)}`
    : reconnectRequested
      ? `⏳ link sent (${stepDone(reconnectRequested)})`
      : '⬜ not yet';
  return [
    ['1. Disconnect here', disconnectedHere ? `✅ ${stepDone(disconnectedHere)}` : '⬜ not yet'],
    ['2. Remove the app in Xero', confirmedInXero ? `✅ ${stepDone(confirmedInXero)}` : '⬜ not yet'],
    ['3. Reconnect', reconnect],
  ];
}

const TITLES: Record<ButtonAction, string> = {
  disconnect: 'Disconnect',
  reconnect: 'Reconnect',
  confirmXero: 'I disconnected in Xero too',
  own: LIFECYCLE.buttonOwn,
  snooze: LIFECYCLE.buttonSnooze,
  note: LIFECYCLE.buttonNote,
};

/** Owner, snooze and note, each a line of its own under the next step. */
function lifecycleLines(view: AlertView): Element[] {
  const lines: Element[] = [];
  const name = (p: Person) => `**${escapeMarkdown(personName(p) ?? '')}**`;
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
export function executeAction(button: ButtonAction, value: ButtonValue, title = TITLES[button]): Action {
  return {
    type: 'Action.Execute',
    title,
    verb: ACTION_IDS[button],
    data: { incidentId: value.incidentId, connectionId: value.connectionId },
    ...(button === 'reconnect' ? { style: 'positive' as const } : {}),
    ...(button === 'disconnect' ? { style: 'destructive' as const } : {}),
  };
}

function buttonFor(button: ButtonAction, view: AlertView): Action {
  const value = { incidentId: view.incidentId, connectionId: view.connectionId };
  if (button !== 'disconnect') return executeAction(button, value);
  // Adaptive Cards have no confirm dialog: Disconnect opens a small card that asks first, as
  // Slack's confirm dialog does.
  return {
    type: 'Action.ShowCard',
    title: TITLES.disconnect,
    card: innerCard(
      [
        text(
          `Disconnect **${escapeMarkdown(view.tenantName)}** on our side? Its tokens are erased and the app is removed from Xero where the token still works. Settings are kept.`,
        ),
      ],
      [executeAction('disconnect', value, 'Yes, disconnect')],
    ),
  };
}
