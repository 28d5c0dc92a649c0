// Runs the real Teams surface (CloudAdapter, bot, sender) on a real express app and HTTP port,
// against the fake Bot Connector and a real SQLite database. The handlers are a stand-in that
// records what the adapter asked and answers what the test says: the adapter is under test here,
// the handlers have their own suites (and the e2e tests run the real ones).
import type http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import type { ButtonAction, ButtonValue } from '../../../src/domain/actions.ts';
import type { ChatActor } from '../../../src/domain/permissions.ts';
import { createTeamsSurface, type TeamsSurface } from '../../../src/adapters/teams/surface.ts';
import type { Metrics } from '../../../src/adapters/observability/metrics.ts';
import type { Dialect } from '../../../src/adapters/db/client.ts';
import { createChatTargets } from '../../../src/adapters/db/chat-targets.ts';
import type { ChatHandlers, CommandContext, HandlerResult } from '../../../src/handlers/types.ts';
import { createTestDatabase, type TestDatabase } from '../../support/databases.ts';
import { captureLogs, type CapturedLogs } from '../../support/log-capture.ts';
import { startFakeBotConnector, type FakeBotConnector } from '../../fakes/bot-connector.ts';

export type HandlerCall =
  | { kind: 'command'; actor: ChatActor; text: string; context: CommandContext }
  | { kind: 'click'; actor: ChatActor; action: ButtonAction; value: ButtonValue; chosen?: { userId: string }; context: CommandContext };

export type StandInHandlers = ChatHandlers & {
  calls: HandlerCall[];
  /** What the next calls answer; the default answers every command with a text view. */
  answer: (call: HandlerCall) => Promise<HandlerResult> | HandlerResult;
};

export function standInHandlers(): StandInHandlers {
  const handlers: StandInHandlers = {
    calls: [],
    answer: (call) => ({ ok: true, value: { reply: { type: 'text', tone: 'info', text: `ran ${call.kind === 'command' ? call.text : call.action}`, lines: [] }, queued: false } }),
    async runCommand(actor, text, context) {
      const call: HandlerCall = { kind: 'command', actor, text, context };
      handlers.calls.push(call);
      return handlers.answer(call);
    },
    async clickButton(actor, click, context, chosen) {
      const call: HandlerCall = { kind: 'click', actor, action: click.action, value: click.value, ...(chosen ? { chosen } : {}), context };
      handlers.calls.push(call);
      return handlers.answer(call);
    },
  };
  return handlers;
}

export type TeamsHarness = {
  botUrl: string;
  connector: FakeBotConnector;
  surface: TeamsSurface;
  /** The stand-in, unless the test brought its own handlers. */
  handlers: StandInHandlers;
  database: TestDatabase;
  logs: CapturedLogs;
  close(): Promise<void>;
};

export async function startTeamsHarness(
  options: { appId?: string; password?: string; openIdMetadataUrl?: string; invokeBudgetMs?: number; handlerTimeoutMs?: number; handlers?: ChatHandlers; metrics?: Metrics; dialect?: Dialect; logs?: CapturedLogs } = {},
): Promise<TeamsHarness> {
  const database = await createTestDatabase(options.dialect ?? 'sqlite');
  const connector = await startFakeBotConnector();
  const logs = options.logs ?? captureLogs('debug');
  const standIn = standInHandlers();
  const handlers = options.handlers ?? standIn;
  const app = express();
  const surface = createTeamsSurface({
    config: { MicrosoftAppId: options.appId, MicrosoftAppPassword: options.password, MicrosoftAppTenantId: undefined, MicrosoftAppType: 'MultiTenant' },
    handlers,
    logger: logs.logger,
    app,
    targets: createChatTargets(database.db),
    ...(options.invokeBudgetMs !== undefined ? { invokeBudgetMs: options.invokeBudgetMs } : {}),
    ...(options.handlerTimeoutMs !== undefined ? { handlerTimeoutMs: options.handlerTimeoutMs } : {}),
    ...(options.openIdMetadataUrl ? { openIdMetadataUrl: options.openIdMetadataUrl } : {}),
    ...(options.metrics ? { metrics: options.metrics } : {}),
  });
  const server: http.Server = await new Promise((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
  const port = (server.address() as AddressInfo).port;
  return {
    botUrl: `http://127.0.0.1:${port}/api/messages`,
    connector,
    surface,
    handlers: standIn,
    database,
    logs,
    async close() {
      await surface.stop();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      await connector.close();
      await database.drop();
    },
  };
}
