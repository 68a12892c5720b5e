/**
 * Pages of `GET /v1/alerts`, as pure functions: the cursor, the order of the listing, the merge
 * of the shards' index ranges and the filters. RedisAlertApi reads Redis around them.
 *
 * Each shard keeps an index of its alerts (a sorted set, fingerprint by `lastSeenAt`). The
 * listing is newest first, ties by fingerprint descending, which is the order ZREVRANGE gives
 * within one shard. A cursor is the position (score, fingerprint) of the last alert a page
 * returned, so the next page starts right after it even when many alerts share a millisecond.
 */
import type { AlertQuery } from '../ingest/alert-api.js';
import type { Alert } from '../model/alert.js';

/** A place in the listing: an index score (the alert's `lastSeenAt`, ms) and a fingerprint. */
export interface IndexPosition {
  score: number;
  fp: string;
}

/** An entry of one shard's index. */
export interface IndexEntry extends IndexPosition {
  shard: number;
}

/** Fingerprints as the admin routes accept them (ASCII, so byte order and string order agree). */
const FP_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const CURSOR_RE = /^[A-Za-z0-9_-]{1,400}$/;

/** The opaque cursor of a position: base64url of the JSON `[score, fingerprint]`. */
export function encodeCursor(p: IndexPosition): string {
  return Buffer.from(JSON.stringify([p.score, p.fp]), 'utf8').toString('base64url');
}

/** The position a cursor stands for; undefined when it is not a cursor this API made. */
export function decodeCursor(cursor: string): IndexPosition | undefined {
  if (!CURSOR_RE.test(cursor)) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  if (!Array.isArray(v) || v.length !== 2) return undefined;
  const [score, fp] = v as unknown[];
  if (typeof score !== 'number' || !Number.isFinite(score)) return undefined;
  if (typeof fp !== 'string' || !FP_RE.test(fp)) return undefined;
  return { score, fp };
}

/** The listing's order: newest first, then fingerprint descending (ZREVRANGE's order of ties). */
export function compareEntries(a: IndexPosition, b: IndexPosition): number {
  if (a.score !== b.score) return b.score - a.score;
  return a.fp < b.fp ? 1 : a.fp > b.fp ? -1 : 0;
}

/**
 * Merges what each shard gave after one position (each read with `want + 1` entries at most) and
 * keeps the first `want` of the whole listing. Any entry among the first `want` overall is among
 * the first `want` of its own shard, so the result is exact; `more` tells whether anything comes
 * after the entries kept.
 */
export function mergeShardRanges(
  ranges: readonly IndexEntry[][],
  want: number,
): { entries: IndexEntry[]; more: boolean } {
  const all = ranges.flat().sort(compareEntries);
  return { entries: all.slice(0, want), more: all.length > want };
}

/** Whether an alert passes the query's filters (the page and cursor aside). */
export function matchesQuery(a: Alert, q: Omit<AlertQuery, 'limit' | 'cursor'>): boolean {
  if (q.status !== undefined && a.status !== q.status) return false;
  if (q.severity !== undefined && a.severity !== q.severity) return false;
  if (q.source !== undefined && a.labels.source !== q.source) return false;
  if (q.receiver !== undefined && !toldReceiver(a, q.receiver)) return false;
  return true;
}

/** The receiver was told of the alert: it is among `notified`, or has a notification in `told`. */
function toldReceiver(a: Alert, receiver: string): boolean {
  return a.notified.includes(receiver) || (a.told !== undefined && Object.hasOwn(a.told, receiver));
}

/**
 * Pairs of a `WITHSCORES` reply (`[member, score, member, score, ...]`) as index entries.
 */
export function entriesOfReply(shard: number, reply: readonly string[]): IndexEntry[] {
  const out: IndexEntry[] = [];
  for (let i = 0; i + 1 < reply.length; i += 2)
    out.push({ shard, fp: reply[i] as string, score: Number(reply[i + 1]) });
  return out;
}
