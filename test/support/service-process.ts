// Starts the service as `npm start` does, in a child process, and waits until it serves HTTP.
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { randomBytes } from 'node:crypto';

export type ServiceProcess = { base: string; port: number; child: ChildProcess; output: () => string; stop(): Promise<number | null> };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export function baseEnv(port: number, extra: Record<string, string> = {}): Record<string, string> {
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    PORT: String(port),
    PUBLIC_URL: `http://127.0.0.1:${port}`,
    TOKEN_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    XERO_CLIENT_ID: 'test-client-id',
    XERO_CLIENT_SECRET: 'test-client-secret',
    LOG_LEVEL: 'info',
    ...extra,
  };
}

/** Every process group a test started; killed when the test worker exits, even after a failure. */
const started = new Set<number>();
process.once('exit', () => {
  for (const pid of started) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      // already gone
    }
  }
});

/**
 * Runs `npm start` in `cwd` with exactly `env`, and no settings file: ENV_FILE is empty unless the
 * test names one, so a developer's .env changes nothing.
 */
export function runNpmStart(env: Record<string, string>, cwd = process.cwd()): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  return runCommand('npm', ['start', '--silent'], env, cwd);
}

/** Runs a command in its own process group (so a stop reaches npm and the node process under it). */
export function runCommand(command: string, args: string[], env: Record<string, string>, cwd = process.cwd()): { child: ChildProcess; output: () => string; exited: Promise<number | null> } {
  const child = spawn(command, args, { cwd, env: { ENV_FILE: '', ...env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  started.add(child.pid!);
  let output = '';
  child.stdout!.on('data', (d) => (output += String(d)));
  child.stderr!.on('data', (d) => (output += String(d)));
  // 'close' waits for the output pipes too, so the last log lines are captured.
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      started.delete(child.pid!);
      resolve(code);
    }),
  );
  return { child, output: () => output, exited };
}

export async function startServiceProcess(env: Record<string, string>, timeoutMs = 30_000): Promise<ServiceProcess> {
  const port = Number(env.PORT);
  const { child, output, exited } = runNpmStart(env);
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + timeoutMs;
  let exitCode: number | null | undefined;
  void exited.then((code) => (exitCode = code));
  for (;;) {
    if (exitCode !== undefined) throw new Error(`service exited with ${exitCode}:\n${output()}`);
    if (Date.now() > deadline) {
      process.kill(-child.pid!, 'SIGKILL');
      throw new Error(`service did not start in ${timeoutMs} ms:\n${output()}`);
    }
    try {
      const res = await fetch(`${base}/healthz`);
      if (res.ok) break;
    } catch {
      // not listening yet: poll again
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    base,
    port,
    child,
    output,
    async stop() {
      if (exitCode !== undefined) return exitCode;
      process.kill(-child.pid!, 'SIGTERM');
      return exited;
    },
  };
}
