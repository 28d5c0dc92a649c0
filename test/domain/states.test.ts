import { describe, expect, it } from 'vitest';
import { STATES, TRANSITIONS, decideTransition, isState, isWatched, type ConnectionState } from '../../src/domain/states.ts';

describe('the connection state machine', () => {
  it.each<[ConnectionState, ConnectionState]>([
    ['connected', 'degraded'],
    ['connected', 'broken'],
    ['degraded', 'connected'],
    ['degraded', 'broken'],
    ['broken', 'disconnected'],
    ['broken', 'reconnecting'],
    ['broken', 'connected'],
    ['disconnected', 'reconnecting'],
    ['reconnecting', 'connected'],
    ['reconnecting', 'broken'],
    ['paused', 'connected'],
    ['connected', 'paused'],
  ])('allows %s → %s', (from, to) => {
    expect(decideTransition(from, to)).toEqual({ allowed: true, reason: 'changed' });
  });

  it.each<[ConnectionState, ConnectionState]>([
    ['disconnected', 'broken'],
    ['disconnected', 'degraded'],
    ['disconnected', 'paused'],
    ['broken', 'degraded'],
  ])('refuses %s → %s', (from, to) => {
    expect(decideTransition(from, to)).toEqual({ allowed: false, reason: 'not_a_transition' });
  });

  it('treats staying in a state as allowed and unchanged', () => {
    for (const state of STATES) expect(decideTransition(state, state)).toEqual({ allowed: true, reason: 'unchanged' });
  });

  it('names only known states as targets', () => {
    for (const targets of Object.values(TRANSITIONS)) for (const t of targets) expect(isState(t)).toBe(true);
    expect(isState('exploded')).toBe(false);
  });

  it('watches live connections and leaves paused and disconnected ones alone', () => {
    expect(STATES.filter(isWatched)).toEqual(['connected', 'degraded', 'broken', 'reconnecting']);
  });
});
