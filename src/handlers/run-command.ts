// The whole `/xero` language (Slack slash command text, Teams message text) in one dispatcher.
import { parseCommand } from '../domain/commands.ts';
import type { ChatActor } from '../domain/permissions.ts';
import { helpView } from '../domain/views/text.ts';
import { ANSWERS } from '../domain/views/wording.ts';
import type { HandlerDeps } from './deps.ts';
import type { CommandContext, HandlerResult } from './types.ts';
import { answer, fail } from './common.ts';
import { errors, help, status } from './commands/read.ts';
import { connect } from './commands/connect.ts';
import { pause, resume } from './commands/pause-resume.ts';
import { here } from './commands/here.ts';
import { checkNow } from './commands/check-now.ts';
import { subjectOfName } from './commands/target.ts';
import { ON_SUBJECT } from './click-button.ts';

export async function runCommand(deps: HandlerDeps, actor: ChatActor, text: string, context: CommandContext): Promise<HandlerResult> {
  const parsed = parseCommand(text);
  if (!parsed.ok) {
    if (parsed.reason === 'unknown_command') return answer(helpView(ANSWERS.unknownCommand(parsed.word)));
    return fail('bad_request', ANSWERS.missingOrg(parsed.name), 'missing_org');
  }
  const command = parsed.command;
  switch (command.name) {
    case 'status':
      return status(deps, actor);
    case 'help':
      return help();
    case 'errors':
      return errors(deps, command.org, command.limit);
    case 'connect':
      return connect(deps, actor);
    case 'here':
      return here(deps, actor, context);
    case 'check':
      return checkNow(deps, actor, command.org);
    case 'pause':
      return pause(deps, actor, command.org);
    case 'resume':
      return resume(deps, actor, command.org);
    case 'disconnect':
    case 'reconnect': {
      const subject = await subjectOfName(deps, command.org);
      if (!subject.ok) return subject;
      return ON_SUBJECT[command.name](deps, actor, subject.value);
    }
  }
}
