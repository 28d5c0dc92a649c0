// The engine thread: the whole service (src/service.ts), with its server on the loopback interface.
// The front thread (src/main.ts) owns the public port, acknowledges Slack's requests itself and
// passes everything else here; this thread runs the handlers, the database, the scheduler and the
// workers, so their work never delays an ack.
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { loadConfig } from './config.ts';
import { startService, type RunningService } from './service.ts';
import { ENGINE_HOST, type FromEngine, type ToEngine } from './engine-messages.ts';

/**
 * The engine's scheduling priority (a nice value) below the front's: on a machine whose cores are
 * all busy, the kernel runs an arriving ack before more of the engine's queued work. On Linux a
 * nice value belongs to a thread, so this lowers this thread only (and threads it starts).
 */
const ENGINE_NICE = 10;

const port = parentPort!;
const tell = (message: FromEngine) => port.postMessage(message);

async function run(): Promise<void> {
  try {
    setPriority(ENGINE_NICE);
  } catch {
    // Not allowed here (some sandboxes): the engine runs at the front's priority, and acks may wait longer.
  }
  // The front thread read the settings file and checked the settings; this is the same environment.
  const loaded = loadConfig(process.env);
  if (!loaded.ok) throw new Error(loaded.problems.join('; '));
  let service: RunningService | undefined;
  // Requests the front acknowledged before this thread finished starting wait for it, in order.
  const early: ToEngine[] = [];
  const take = (message: ToEngine) => {
    if (!service) {
      early.push(message);
      return;
    }
    switch (message.type) {
      case 'slack':
        return service.slack?.takeAcked(message.request);
      case 'slack-refused':
        return service.slack?.refusedAtFront(message.decision);
      case 'record':
        return service.recordRequest(message.request);
      case 'stop':
        return void service.stop().then(
          () => tell({ type: 'stopped' }),
          (error: unknown) => tell({ type: 'stop-failed', message: error instanceof Error ? error.message : String(error) }),
        );
    }
  };
  port.on('message', take);
  service = await startService(loaded.config, {
    listen: { host: ENGINE_HOST, port: 0 },
    onListening: (listening) => tell({ type: 'listening', port: listening, slackHttp: loaded.config.slackEnabled && !loaded.config.SLACK_APP_TOKEN }),
  });
  for (const message of early.splice(0)) take(message);
  tell({ type: 'started' });
}

run().catch((error: unknown) => tell({ type: 'failed', message: error instanceof Error ? error.message : String(error) }));
