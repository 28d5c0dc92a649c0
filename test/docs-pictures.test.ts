// The README's pictures are the real thing: drawn from what the Slack and Teams renderers produce
// for one alert. Changing a renderer or its words without re-drawing them (`npm run docs:pictures`)
// fails here.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { drawSlack, drawTeams, PICTURES } from '../scripts/render-pictures.ts';

describe('README pictures', () => {
  it('match what the renderers draw today, on Slack and on Teams', () => {
    expect(readFileSync(PICTURES.slack, 'utf8')).toBe(drawSlack());
    expect(readFileSync(PICTURES.teams, 'utf8')).toBe(drawTeams());
  });

  it('are both in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(readme).toContain('(docs/alert-slack.svg)');
    expect(readme).toContain('(docs/alert-teams.svg)');
  });

  it('say what the alert says: the organisation, the next step and the buttons', () => {
    for (const picture of [drawSlack(), drawTeams()]) {
      expect(picture).toContain('Acme Trading Ltd');
      expect(picture).toContain('Next step');
      expect(picture).toContain('Reconnect');
      expect(picture).toContain('Send link to…');
    }
  });
});
