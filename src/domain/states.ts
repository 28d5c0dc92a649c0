// The connection state machine (DESIGN.md section 2). Every change is checked here first.
export const STATES = ['connected', 'degraded', 'broken', 'disconnected', 'reconnecting', 'paused'] as const;
export type ConnectionState = (typeof STATES)[number];

export const TRANSITIONS: Record<ConnectionState, readonly ConnectionState[]> = {
  connected: ['degraded', 'broken', 'disconnected', 'reconnecting', 'paused'],
  degraded: ['connected', 'broken', 'disconnected', 'reconnecting', 'paused'],
  broken: ['connected', 'disconnected', 'reconnecting', 'paused'],
  disconnected: ['reconnecting', 'connected'],
  reconnecting: ['connected', 'broken', 'disconnected', 'paused'],
  paused: ['connected', 'degraded', 'broken', 'disconnected', 'reconnecting'],
};

export type TransitionDecision =
  | { allowed: true; reason: 'changed' | 'unchanged' }
  | { allowed: false; reason: 'not_a_transition' };

export function decideTransition(from: ConnectionState, to: ConnectionState): TransitionDecision {
  if (from === to) return { allowed: true, reason: 'unchanged' };
  return TRANSITIONS[from].includes(to) ? { allowed: true, reason: 'changed' } : { allowed: false, reason: 'not_a_transition' };
}

export function isState(value: string): value is ConnectionState {
  return (STATES as readonly string[]).includes(value);
}

/** States the scheduler checks. A paused or disconnected connection is left alone. */
export function isWatched(state: ConnectionState): boolean {
  return state === 'connected' || state === 'degraded' || state === 'broken' || state === 'reconnecting';
}
