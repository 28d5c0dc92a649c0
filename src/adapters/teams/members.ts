// Who a people-picker pick is. Teams' picker hands over only the person's Entra object id; the
// alert, the thread and the direct message should name them, and a 1:1 is opened most reliably
// with their Teams user id. The Bot Connector answers both for a member of the team (or chat) the
// click came from. A person outside it, or a Connector that does not answer in time, still gets
// the link: by object id, without a name.
import { TeamsInfo, type TurnContext } from 'botbuilder';
import type { Logger } from 'pino';

export type PickedPerson = { userId: string; name?: string };

const LOOKUP_BUDGET_MS = 2_000;

export async function pickedPerson(context: TurnContext, objectId: string, log: Logger): Promise<PickedPerson> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const member = await Promise.race([
      TeamsInfo.getMember(context, objectId),
      new Promise<undefined>((resolve) => {
        timer = setTimeout(() => resolve(undefined), LOOKUP_BUDGET_MS);
      }),
    ]);
    if (!member?.id) return { userId: objectId };
    return { userId: member.id, ...(member.name ? { name: member.name } : {}) };
  } catch (error) {
    log.info({ err: error }, 'teams member lookup failed; the link goes to the picked object id');
    return { userId: objectId };
  } finally {
    clearTimeout(timer);
  }
}
