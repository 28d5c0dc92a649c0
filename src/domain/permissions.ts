// Who may act (DESIGN.md section 5): admins and the person who connected the organisation may
// change it; anyone may read.
export const PLATFORMS = ['slack', 'teams'] as const;
export type Platform = (typeof PLATFORMS)[number];

export type ChatActor = {
  platform: Platform;
  userId: string;
  name?: string;
  /** Other ids of the same person that admins may be listed by (Teams: the Entra object id beside the 29: id). */
  altIds?: readonly string[];
};
export type Admins = Record<Platform, readonly string[]>;

export const ACTIONS = ['read', 'connect', 'disconnect', 'reconnect', 'confirm_xero', 'check', 'pause', 'resume', 'set_alert_channel', 'own', 'snooze', 'note'] as const;
export type Action = (typeof ACTIONS)[number];

export type Permission =
  | { allowed: true; reason: 'anyone_may_read' | 'admin' | 'connector' }
  | { allowed: false; reason: 'not_admin_or_connector' | 'not_admin' };

/** Actions anyone in the channel may take: they read or re-check, they change nothing. */
const OPEN_ACTIONS: readonly Action[] = ['read', 'check'];
/** Actions only admins may take: they are not about one organisation. */
const ADMIN_ONLY: readonly Action[] = ['connect', 'set_alert_channel'];

export function decidePermission(
  actor: ChatActor,
  action: Action,
  admins: Admins,
  connector?: { platform: string; userId: string },
): Permission {
  if (OPEN_ACTIONS.includes(action)) return { allowed: true, reason: 'anyone_may_read' };
  // No admins configured for a platform means a first install: everyone there is an admin until
  // the operator names some (the service logs a warning per such platform at start).
  const platformAdmins = admins[actor.platform];
  const listed = platformAdmins.includes(actor.userId) || (actor.altIds ?? []).some((id) => platformAdmins.includes(id));
  if (platformAdmins.length === 0 || listed) return { allowed: true, reason: 'admin' };
  if (ADMIN_ONLY.includes(action)) return { allowed: false, reason: 'not_admin' };
  if (connector && connector.platform === actor.platform && connector.userId === actor.userId) {
    return { allowed: true, reason: 'connector' };
  }
  return { allowed: false, reason: 'not_admin_or_connector' };
}

/** An admin of the actor's platform (everyone there while no admin is configured: first install). */
export function isAdmin(actor: ChatActor, admins: Admins): boolean {
  return decidePermission(actor, 'connect', admins).allowed;
}
