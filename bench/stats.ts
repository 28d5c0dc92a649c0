// Small statistics and process readings for the benchmarks.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

export type LatencySummary = { count: number; errors: number; p50: number; p99: number; max: number; instrument?: Instrument };
/** How the load generator itself fared: a delay of its own is latency it adds to every app it measures. */
export type Instrument = { raised: boolean; loopP99Ms: number; loopMaxMs: number; longestPauseMs: number };

export function summarise(latenciesMs: number[], errors: number): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return { count: sorted.length, errors, p50: percentile(sorted, 50), p99: percentile(sorted, 99), max: sorted.at(-1) ?? NaN };
}

/** Peak resident memory (VmHWM) and current RSS of a process, in MB, from /proc. */
export function memoryOf(pid: number): { peakMb: number; rssMb: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? NaN);
  return { peakMb: kb('VmHWM') / 1024, rssMb: kb('VmRSS') / 1024 };
}

/** User + system CPU seconds a process has used, from /proc/<pid>/stat. */
export function cpuSecondsOf(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100;
}

/**
 * How long one thread has waited for a core so far, in ms (/proc/<pid>/task/<tid>/schedstat: time
 * on a CPU, time runnable but waiting on a run queue, slices). The thread whose id is the process
 * id is its main thread: the service's front, or the bare app's only JavaScript thread.
 */
export function runQueueWaitMsOf(pid: number, tid = pid): number | undefined {
  try {
    return Number(readFileSync(`/proc/${pid}/task/${tid}/schedstat`, 'utf8').split(' ')[1]) / 1e6;
  } catch {
    return undefined;
  }
}

/** Share of wall time in which some runnable task waited for a CPU, so far (/proc/pressure/cpu "some" total, µs). */
export function cpuPressureUsOf(): number | undefined {
  try {
    return Number(/^some .*total=(\d+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'))?.[1]);
  } catch {
    return undefined;
  }
}

/** Resets VmHWM so a phase measures its own peak (Linux: write 5 to clear_refs). */
export function resetPeakMemory(pid: number): void {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
  } catch {
    // Not permitted on some kernels: the reported peak then covers the whole run, which the report says.
  }
}

/** The process under `rootPid` (itself or a descendant) whose command line matches: `npm start` runs node under npm and sh. */
export function findProcess(rootPid: number, commandLine: RegExp): number | undefined {
  const queue = [rootPid];
  while (queue.length > 0) {
    const pid = queue.shift()!;
    try {
      if (commandLine.test(readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' '))) return pid;
      for (const task of readdirSync(`/proc/${pid}/task`)) {
        const children = readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim();
        if (children) queue.push(...children.split(/\s+/).map(Number));
      }
    } catch {
      // The process ended while we looked.
    }
  }
  return undefined;
}
