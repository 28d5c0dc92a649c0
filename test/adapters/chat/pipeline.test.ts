// What every chat request gets from the one pipeline (src/adapters/chat/pipeline.ts), proved the
// same way on Slack and on Teams through HTTP: a retry runs nothing twice, a handler that throws or
// hangs gets the same fallback sentence, an unreadable button gets the same refusal, the handler's
// log lines carry the request's id, and both count under the same metric names.
import { afterEach, describe, expect, it } from 'vitest';
import { ACTION_IDS, encodeButtonValue, type ButtonClick } from '../../../src/domain/actions.ts';
import type { ChatActor } from '../../../src/domain/permissions.ts';
import { ANSWERS, LABELS } from '../../../src/domain/views/wording.ts';
import type { ChatHandlers, CommandContext, HandlerResult } from '../../../src/handlers/types.ts';
import { slackDriver, teamsDriver, type ChatDriver, type DriverOptions } from './drivers.ts';

type Call = { actor: ChatActor; text?: string; click?: ButtonClick; context: CommandContext };

/** Stand-in handlers: record each call, log one line through the request's logger, answer as told. */
function standIn(answer: (call: Call) => Promise<HandlerResult>) {
  const calls: Call[] = [];
  const handle = (call: Call) => {
    calls.push(call);
    call.context.log?.info({ step: 'stand-in' }, 'stand-in handler ran');
    return answer(call);
  };
  const handlers: ChatHandlers = {
    runCommand: (actor, text, context) => handle({ actor, text, context }),
    clickButton: (actor, click, context) => handle({ actor, click, context }),
  };
  return { handlers, calls };
}

const answered = (text: string): Promise<HandlerResult> => Promise.resolve({ ok: true, value: { reply: { type: 'text', tone: 'info', text, lines: [] }, queued: false } });
const ids = { incidentId: 'inc-1', connectionId: 'con-1' };

const DRIVERS: [string, (options: DriverOptions) => Promise<ChatDriver>][] = [
  ['Slack', slackDriver],
  ['Teams', teamsDriver],
];

describe.each(DRIVERS)('the chat pipeline on %s', (_name, start) => {
  let driver: ChatDriver | undefined;
  /** Releases handlers a test left hanging, so nothing outlives it. */
  let release: () => void = () => undefined;
  afterEach(async () => {
    release();
    await driver?.close();
    driver = undefined;
  });

  it('runs a command once when the platform delivers it twice', async () => {
    const h = standIn((call) => answered(`ran ${call.text}`));
    driver = await start({ handlers: h.handlers });
    await driver.command('check Demo', { repeat: true });
    await driver.idle();
    expect(h.calls).toHaveLength(1);
    expect(driver.answers()).toHaveLength(1);
    expect(driver.logs.lines().filter((l) => l.msg === 'chat request repeated, ignored')).toEqual([expect.objectContaining({ platform: driver.platform, kind: 'command' })]);
  });

  it('runs a click once when the platform delivers it twice', async () => {
    const h = standIn(() => answered('done'));
    driver = await start({ handlers: h.handlers });
    await driver.click(ACTION_IDS.confirmXero, encodeButtonValue(ids), { repeat: true });
    await driver.idle();
    expect(h.calls).toHaveLength(1);
    expect(h.calls[0]!.click).toEqual({ action: 'confirmXero', value: ids });
  });

  it.each(['command', 'click'] as const)('answers a %s whose handler throws with the fallback sentence, never the error', async (kind) => {
    const h = standIn(() => Promise.reject(new Error('database on fire')));
    driver = await start({ handlers: h.handlers });
    if (kind === 'command') await driver.command('status');
    else await driver.click(ACTION_IDS.reconnect, encodeButtonValue(ids));
    await driver.idle();
    expect(driver.answers()).toEqual([expect.stringContaining(LABELS.fallbackError)]);
    expect(driver.answers().join()).not.toContain('database on fire');
    const threw = driver.logs.lines().find((l) => l.msg === 'chat handler threw');
    expect(threw).toMatchObject({ platform: driver.platform, kind, requestId: h.calls[0]!.context.requestId, err: expect.objectContaining({ message: 'database on fire' }) });
  });

  it.each(['command', 'click'] as const)('answers a %s whose handler hangs, once the handler timeout passes, with a sentence that promises nothing', async (kind) => {
    const h = standIn(() => new Promise<HandlerResult>((resolve) => (release = () => resolve({ ok: true, value: { queued: false } }))));
    driver = await start({ handlers: h.handlers, handlerTimeoutMs: 50 });
    if (kind === 'command') await driver.command('check Demo');
    else await driver.click(ACTION_IDS.disconnect, encodeButtonValue(ids));
    await driver.idle();
    expect(h.calls).toHaveLength(1);
    expect(driver.answers()).toEqual([expect.stringContaining(LABELS.slowError.split('/xero')[0]!)]); // Teams names the command its own way
    expect(driver.logs.lines().find((l) => l.msg === 'chat handler timed out')).toMatchObject({ platform: driver.platform, kind, timeoutMs: 50, requestId: h.calls[0]!.context.requestId });
    const text = await driver.metrics.registry.metrics();
    expect(text).toContain(`xero_guard_chat_requests_total{platform="${driver.platform}",kind="${kind}",outcome="timed_out"} 1`);
  });

  it('refuses a button whose payload cannot be read, without calling a handler', async () => {
    const h = standIn(() => answered('should not run'));
    driver = await start({ handlers: h.handlers });
    await driver.click(ACTION_IDS.disconnect, { incidentId: '', connectionId: 7 });
    await driver.idle();
    expect(h.calls).toEqual([]);
    // The sentence's first part: Teams names the command without the Slack slash (`status`).
    expect(driver.answers()).toEqual([expect.stringContaining(ANSWERS.badButton.split('. ')[0]!)]);
  });

  it("hands the request's id and logger to the handler: its log lines carry the id", async () => {
    const h = standIn((call) => answered(`ran ${call.text}`));
    driver = await start({ handlers: h.handlers });
    await driver.command('status');
    await driver.idle();
    const requestId = h.calls[0]!.context.requestId;
    expect(requestId).toEqual(expect.any(String));
    expect(driver.logs.lines().filter((l) => l.msg === 'stand-in handler ran')).toEqual([expect.objectContaining({ platform: driver.platform, requestId, step: 'stand-in' })]);
    expect(driver.logs.lines().find((l) => l.msg === 'chat request handled')).toMatchObject({ platform: driver.platform, requestId, kind: 'command', command: 'status', outcome: 'ok', ms: expect.any(Number) });
  });

  it('counts commands and clicks under the same metric names on both platforms', async () => {
    const h = standIn((call) => (call.click ? Promise.resolve({ ok: false, error: { code: 'not_permitted', reply: { type: 'text', tone: 'warning', text: 'No.', lines: [] } } }) : answered('ok')));
    driver = await start({ handlers: h.handlers });
    await driver.command('status');
    await driver.click(ACTION_IDS.disconnect, encodeButtonValue(ids));
    await driver.idle();
    const text = await driver.metrics.registry.metrics();
    expect(text).toContain(`xero_guard_chat_requests_total{platform="${driver.platform}",kind="command",outcome="ok"} 1`);
    expect(text).toContain(`xero_guard_chat_requests_total{platform="${driver.platform}",kind="click",outcome="not_permitted"} 1`);
    expect(text).toContain(`xero_guard_chat_request_duration_seconds_count{platform="${driver.platform}",kind="click"} 1`);
  });
});
