/** Durations (`500ms`, `30s`, `5m`, `2h`, `1d`, `1h30m`) and byte sizes (`512kb`, `1MiB`) as written in config and API bodies. */

const DURATION_UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

const DURATION_RE = /^(?:\d+(?:\.\d+)?(?:ms|s|m|h|d|w))+$/;
const DURATION_PART_RE = /(\d+(?:\.\d+)?)(ms|s|m|h|d|w)/g;

/** Milliseconds in a duration string; undefined when it is not one. */
export function parseDuration(s: string): number | undefined {
  const t = s.trim().toLowerCase();
  if (!DURATION_RE.test(t)) return undefined;
  let ms = 0;
  for (const m of t.matchAll(DURATION_PART_RE)) ms += Number(m[1]) * (DURATION_UNITS[m[2] ?? ''] ?? 0);
  return Math.round(ms);
}

const SIZE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  kb: 1000,
  kib: 1024,
  k: 1024,
  mb: 1_000_000,
  mib: 1024 * 1024,
  m: 1024 * 1024,
};

/** Bytes in a size string (`1mb`, `512KiB`, `2048`); undefined when it is not one. */
export function parseByteSize(s: string): number | undefined {
  const m = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/.exec(s.trim().toLowerCase());
  if (!m) return undefined;
  const unit = SIZE_UNITS[m[2] ?? ''];
  if (unit === undefined) return undefined;
  return Math.round(Number(m[1]) * unit);
}

/** `1s`, `1m30s`, `250ms`: the shortest way to write a duration in ms. */
export function formatDuration(ms: number): string {
  if (ms < 1000 || ms % 1000 !== 0) return `${ms}ms`;
  let rest = ms / 1000;
  let out = '';
  for (const [unit, size] of [
    ['d', 86_400],
    ['h', 3600],
    ['m', 60],
    ['s', 1],
  ] as const) {
    const n = Math.floor(rest / size);
    if (n > 0) out += `${n}${unit}`;
    rest -= n * size;
  }
  return out;
}
