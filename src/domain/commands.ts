// The `/xero` command language, shared by Slack (slash command text) and Teams (message text).
export const COMMANDS = ['status', 'errors', 'connect', 'reconnect', 'disconnect', 'check', 'pause', 'resume', 'here', 'help'] as const;
export type CommandName = (typeof COMMANDS)[number];

export type Command =
  | { name: 'status' | 'connect' | 'here' | 'help' }
  | { name: 'errors'; org?: string; limit: number }
  | { name: 'reconnect' | 'disconnect' | 'check' | 'pause' | 'resume'; org: string };

export type CommandParse =
  | { ok: true; command: Command }
  | { ok: false; reason: 'unknown_command'; word: string }
  | { ok: false; reason: 'missing_org'; name: CommandName };

export const DEFAULT_ERRORS_LIMIT = 10;
export const MAX_ERRORS_LIMIT = 50;

/** Commands that only read: nothing they do can race, so they need not wait for one another. */
export const READING_COMMANDS: readonly CommandName[] = ['status', 'errors', 'help'];

export function parseCommand(text: string): CommandParse {
  const words = text.trim().split(/\s+/).filter(Boolean);
  const word = (words[0] ?? 'help').toLowerCase();
  const rest = words.slice(1);
  if (!(COMMANDS as readonly string[]).includes(word)) return { ok: false, reason: 'unknown_command', word: words[0] ?? '' };
  const name = word as CommandName;
  switch (name) {
    case 'status':
    case 'connect':
    case 'here':
    case 'help':
      return { ok: true, command: { name } };
    case 'errors': {
      // `errors [org] [n]`: a trailing number is the count; the rest names the organisation.
      const last = rest.at(-1);
      const hasLimit = last !== undefined && /^\d+$/.test(last);
      const limit = hasLimit ? Math.min(MAX_ERRORS_LIMIT, Math.max(1, Number(last))) : DEFAULT_ERRORS_LIMIT;
      const org = (hasLimit ? rest.slice(0, -1) : rest).join(' ');
      return { ok: true, command: org ? { name, org, limit } : { name, limit } };
    }
    default: {
      const org = rest.join(' ');
      if (!org) return { ok: false, reason: 'missing_org', name };
      return { ok: true, command: { name, org } };
    }
  }
}

export type OrgMatch<T> = { ok: true; match: T } | { ok: false; reason: 'unknown'; name: string } | { ok: false; reason: 'ambiguous'; name: string; candidates: T[] };

/** Organisations are named by a unique, case-insensitive prefix of their name (an exact name always wins). */
export function matchOrganisation<T extends { tenantName: string }>(name: string, orgs: readonly T[]): OrgMatch<T> {
  const wanted = name.trim().toLowerCase();
  const exact = orgs.filter((o) => o.tenantName.toLowerCase() === wanted);
  if (exact.length === 1) return { ok: true, match: exact[0]! };
  const prefixed = orgs.filter((o) => o.tenantName.toLowerCase().startsWith(wanted));
  if (prefixed.length === 1) return { ok: true, match: prefixed[0]! };
  if (prefixed.length === 0) return { ok: false, reason: 'unknown', name };
  return { ok: false, reason: 'ambiguous', name, candidates: prefixed };
}
