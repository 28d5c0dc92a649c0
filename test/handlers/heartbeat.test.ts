// The lease heartbeat: one renewal at a time, failures logged and survived, and stop() waits for a
// renewal under way, so a caller that releases its lease after stop() is never overtaken by a late
// renewal taking the freed lease again.
import { describe, expect, it } from 'vitest';
import { startHeartbeat } from '../../src/handlers/heartbeat.ts';
import { silentLog } from '../builders/monitor.ts';

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

describe('lease heartbeat', () => {
  it('runs one renewal at a time and stop() resolves only after the renewal under way', async () => {
    const g = gate();
    let calls = 0;
    const heartbeat = startHeartbeat(() => {
      calls += 1;
      return g.opened;
    }, silentLog, 60_000);
    const first = heartbeat.beat();
    const second = heartbeat.beat();
    expect(calls).toBe(1);
    let stopped = false;
    const stopping = heartbeat.stop().then(() => (stopped = true));
    await Promise.resolve();
    expect(stopped).toBe(false);
    g.open();
    await Promise.all([first, second, stopping]);
    expect(stopped).toBe(true);
  });

  it('a failed renewal is logged, not thrown, and the next one runs', async () => {
    let calls = 0;
    const heartbeat = startHeartbeat(async () => {
      calls += 1;
      if (calls === 1) throw new Error('database unreachable');
    }, silentLog, 60_000);
    await heartbeat.beat();
    await heartbeat.beat();
    expect(calls).toBe(2);
    await heartbeat.stop();
  });
});
