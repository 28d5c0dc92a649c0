// "Sent 09:01, 2 minutes ago": Slack keeps the relative part current in each reader's client;
// Teams and plain text cannot, so they say the moment once instead of twice.
import { describe, expect, it } from 'vitest';
import { THREAD } from '../../src/domain/views/wording.ts';
import { plainText } from '../../src/domain/views/phrase.ts';
import { mdPhrase as slackPhrase } from '../../src/adapters/slack/blocks.ts';
import { mdPhrase as teamsPhrase } from '../../src/adapters/teams/cards/card.ts';

const since = '2026-03-03T09:00:00.000Z';

describe('a moment with its relative time', () => {
  it('is a date token and a live "ago" token on Slack, one date on Teams, one UTC time in plain text', () => {
    const phrase = THREAD.reminder('Acme Ltd', since, 2);
    const slack = slackPhrase(phrase);
    expect(slack).toContain('(since <!date^1772528400^{date_short_pretty} {time}|3 Mar 09:00 UTC>, <!date^1772528400^{ago}|3 Mar 09:00 UTC>).');
    const teams = teamsPhrase(phrase);
    expect(teams.match(/\{\{DATE\(/g)).toHaveLength(1);
    expect(teams).toContain('(since {{DATE(2026-03-03T09:00:00Z, SHORT)}} {{TIME(2026-03-03T09:00:00Z)}}).');
    expect(plainText(phrase)).toBe('Reminder 2: Acme Ltd is still broken (since 2026-03-03 09:00 UTC).');
  });
});
