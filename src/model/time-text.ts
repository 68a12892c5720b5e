/**
 * Times and durations as people read them: in notifications, digests, config echoes, the CLI and
 * the web console (whose bundle imports this file as it is, so it imports nothing).
 */

/**
 * `250ms`, `45s`, `1m 30s`, `1d 2h 3m 4s`: a duration for people to read (whole seconds once it
 * is a second or more). The one formatter of durations: config echoes, messages, digests.
 */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1000) return `${Math.floor(ms)}ms`;
  let s = Math.floor(ms / 1000);
  const parts: string[] = [];
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
  ] as const) {
    if (s >= size) {
      parts.push(`${Math.floor(s / size)}${unit}`);
      s %= size;
    }
  }
  if (s > 0 || parts.length === 0) parts.push(`${s}s`);
  return parts.join(' ');
}

/** A duration to its two largest units: `45s`, `12m 5s`, `2h 5m`, `3d 4h`. */
export function formatDurationShort(ms: number): string {
  if (!Number.isFinite(ms)) return 'unknown';
  const abs = Math.abs(ms);
  const unit = abs >= 86_400_000 ? 3_600_000 : abs >= 3_600_000 ? 60_000 : 1000;
  return formatDuration(Math.sign(ms) * Math.floor(abs / unit) * unit);
}

/** `just now`, `5m 3s ago`, `1h 5m ago`, `2d 3h ago`, `in 20m`: how far `t` is from `now`. */
export function formatAgo(t: number, now: number): string {
  const d = now - t;
  if (!Number.isFinite(d)) return 'unknown';
  if (Math.abs(d) < 1000) return 'just now';
  const text = formatDurationShort(Math.abs(d));
  return d >= 0 ? `${text} ago` : `in ${text}`;
}

/** ISO 8601 (UTC) of a time in ms; `unknown` for one that is not a time. */
export function isoTime(ms: number): string {
  const d = new Date(ms);
  return Number.isNaN(d.getTime()) ? 'unknown' : d.toISOString();
}
