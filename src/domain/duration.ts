// Durations in settings are written the way people say them: "30s", "5m", "24h", "1d", "250ms".
const UNITS = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

export type DurationParse = { ok: true; ms: number } | { ok: false; reason: string };

export function parseDuration(text: string): DurationParse {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)\s*$/i.exec(text);
  if (!match) return { ok: false, reason: `"${text}" is not a duration like 30s, 5m, 24h or 1d` };
  const ms = Number(match[1]) * UNITS[match[2]!.toLowerCase() as keyof typeof UNITS];
  if (ms <= 0) return { ok: false, reason: 'a duration must be above zero' };
  return { ok: true, ms: Math.round(ms) };
}

export function formatDuration(ms: number): string {
  const minutes = Math.round(ms / 60_000);
  if (ms < 60_000) return `${Math.max(1, Math.round(ms / 1000))}s`;
  if (minutes < 60) return `${minutes}m`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return minutes % 60 === 0 ? `${hours}h` : `${hours}h ${minutes % 60}m`;
  return `${Math.floor(hours / 24)}d ${hours % 24}h`;
}
