// The cards Teams shows when the bot is added: in a team, the offer to make that channel the alert
// channel (its button runs the same `here` command as typing it, with the same permission check);
// in a 1:1, a welcome. The words are the shared ones (src/domain/views), as on Slack.
import { USE_CHANNEL_ACTION } from '../../../domain/actions.ts';
import { channelOfferView, welcomeView } from '../../../domain/views/text.ts';
import type { AdaptiveCard } from './card.ts';
import { renderCard } from './render.ts';

/** Action.Execute verb of the offer's button; the bot routes it to the `here` command. */
export const USE_CHANNEL_VERB = USE_CHANNEL_ACTION;

export function alertChannelOfferCard(): AdaptiveCard {
  return renderCard(channelOfferView());
}

export function welcomeCard(): AdaptiveCard {
  return renderCard(welcomeView());
}
