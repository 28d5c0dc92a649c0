// Twenty people asking for the status at once share reads, and none gets an answer read before
// they asked.
import { describe, expect, it } from 'vitest';
import { freshReads } from '../../src/handlers/fresh-reads.ts';

/** A read that ends when told to, numbered in the order reads began. */
function reads() {
  const started: { n: number; finish(): void; fail(error: Error): void }[] = [];
  const read = () =>
    new Promise<number>((resolve, reject) => {
      const n = started.length + 1;
      started.push({ n, finish: () => resolve(n), fail: reject });
    });
  return { started, read };
}
const turn = () => new Promise((r) => setImmediate(r));

describe('fresh reads', () => {
  it('serves everyone who asked during a read from the next one, which begins after they asked', async () => {
    const share = freshReads();
    const { started, read } = reads();
    const first = share('status', read);
    await turn();
    // Asked while read 1 runs: they must not get read 1, begun before them.
    const waiting = Array.from({ length: 19 }, () => share('status', read));
    await turn();
    expect(started).toHaveLength(1);
    started[0]!.finish();
    await turn();
    expect(started).toHaveLength(2);
    // Asked while read 2 runs: a third read, after it.
    const late = share('status', read);
    await turn();
    expect(started).toHaveLength(2);
    started[1]!.finish();
    await turn();
    started[2]!.finish();
    expect(await first).toBe(1);
    expect(await Promise.all(waiting)).toEqual(Array(19).fill(2));
    expect(await late).toBe(3);
    expect(started).toHaveLength(3);
  });

  it('begins a new read once nothing is in flight, and keeps keys apart', async () => {
    const share = freshReads();
    const { started, read } = reads();
    const a = share('status', read);
    const b = share('errors:*:200', read);
    await turn();
    expect(started).toHaveLength(2);
    started.forEach((s) => s.finish());
    expect([await a, await b]).toEqual([1, 2]);
    await turn();
    const again = share('status', read);
    await turn();
    expect(started).toHaveLength(3);
    started[2]!.finish();
    expect(await again).toBe(3);
  });

  it('passes a failed read’s error to those who shared it; the next question reads again', async () => {
    const share = freshReads();
    const { started, read } = reads();
    const first = share('status', read);
    await turn();
    const second = share('status', read);
    const third = share('status', read);
    started[0]!.fail(new Error('database gone'));
    await expect(first).rejects.toThrow('database gone');
    await turn();
    started[1]!.fail(new Error('still gone'));
    await expect(second).rejects.toThrow('still gone');
    await expect(third).rejects.toThrow('still gone');
    await turn();
    const fourth = share('status', read);
    await turn();
    started[2]!.finish();
    expect(await fourth).toBe(3);
  });
});
