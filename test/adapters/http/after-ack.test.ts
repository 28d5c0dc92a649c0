import { describe, expect, it } from 'vitest';
import { createAfterAck } from '../../../src/adapters/http/after-ack.ts';

describe('work after an ack', () => {
  it('runs at most N at once and queues the rest in arrival order', async () => {
    const afterAck = createAfterAck(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const releases: (() => void)[] = [];
    const jobs = [0, 1, 2, 3, 4].map((n) =>
      afterAck(async () => {
        running++;
        peak = Math.max(peak, running);
        order.push(n);
        await new Promise<void>((resolve) => releases.push(resolve));
        running--;
        return n * 10;
      }),
    );
    await new Promise((r) => setImmediate(r));
    expect(order).toEqual([0, 1]);
    expect(afterAck.pending()).toBe(5);
    while (releases.length < 5) {
      releases.forEach((release) => release());
      await new Promise((r) => setImmediate(r));
    }
    releases.forEach((release) => release());
    expect(await Promise.all(jobs)).toEqual([0, 10, 20, 30, 40]);
    expect(peak).toBe(2);
    expect(order).toEqual([0, 1, 2, 3, 4]);
    expect(afterAck.pending()).toBe(0);
  });

  it('passes a failure to its caller without stopping the queue', async () => {
    const afterAck = createAfterAck(1);
    const failing = afterAck(async () => {
      throw new Error('boom');
    });
    const next = afterAck(async () => 'still runs');
    await expect(failing).rejects.toThrow('boom');
    expect(await next).toBe('still runs');
  });
});
