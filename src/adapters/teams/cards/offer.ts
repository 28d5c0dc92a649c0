// Teams only: when the bot is added to a team it offers to make that channel the alert channel.
// The button runs the same `here` command as typing "@Xero Guard here", with the same permission
// check in the handler.
import { card, header, text, type AdaptiveCard } from './card.ts';

/** Action.Execute verb of the offer's button; the bot routes it to the `here` command. */
export const USE_CHANNEL_VERB = 'xg_use_channel';

export function alertChannelOfferCard(): AdaptiveCard {
  return card(
    [
      header('Xero Guard is here', 'info'),
      text(
        'Xero Guard watches your Xero connections and posts an alert here the moment one breaks, with buttons to fix it.',
      ),
      text('Make this channel the alert channel? Only admins can. You can also send **@Xero Guard here** later, or **help** for every command.', {
        spacing: 'Small',
      }),
    ],
    [{ type: 'Action.Execute', title: 'Use this channel for alerts', verb: USE_CHANNEL_VERB, data: {}, style: 'positive' }],
    'Xero Guard is here. Make this channel the alert channel?',
  );
}

export function welcomeCard(): AdaptiveCard {
  return card(
    [
      header('Xero Guard', 'info'),
      text('I watch your Xero connections and tell your team when one breaks. Send **help** to see what I can do, or **status** for the current state.'),
    ],
    [],
    'Xero Guard: send help to see what I can do.',
  );
}
