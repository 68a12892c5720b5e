import { createHash } from 'node:crypto';

/**
 * An alert's identity: a hash of its name and its identifying labels, never of a time. The same
 * value is PagerDuty's dedup_key, so a trigger and its resolve pair up. Hex only, so it is a
 * valid BullMQ job-id part and Redis key part.
 */
export function fingerprint(name: string, labels: Record<string, string>): string {
  // name, then \0 key \1 value per label in key order: hashed as one string (one call into the hash).
  let text = name;
  for (const k of Object.keys(labels).sort()) text += '\u0000' + k + '\u0001' + (labels[k] ?? '');
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}

/** Canonical text of a label set: `k=v,k=v`, keys sorted. */
export function labelsKey(labels: Record<string, string>): string {
  const keys = Object.keys(labels);
  if (keys.length === 0) return '';
  keys.sort();
  let out = '';
  for (const k of keys) out += (out ? ',' : '') + k + '=' + labels[k];
  return out;
}
