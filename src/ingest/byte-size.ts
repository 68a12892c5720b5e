/** Byte sizes (`512kb`, `1MiB`, `2048`) as written in the config. */

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
