/**
 * Counts, exactly, what a scenario owed and what the receiver got.
 *
 * Owed is derived from what was accepted (202) only: each accepted `alert` or `breach` input
 * owes one notification; the accepted copies of a `same` input owe min(copies, dedup max).
 * Per input key, the receiver's notifications are grouped by id:
 * - delivered: distinct ids, up to what the key owes;
 * - lost: what the key owes beyond the distinct ids received;
 * - duplicated: a notification id received again (a send cut mid-flight, told with the same
 *   id so that the receiver can drop it);
 * - other id: distinct ids beyond what the key owes: the same input told twice under two ids.
 *   When one of the input's requests had an ambiguous failure before its 202 (a 503 or no
 *   answer: it may have been stored, and the bot sent it again), it is counted as `retried`;
 *   otherwise it is a Klaxon bug (`otherIdBug`);
 * - applied twice: a notification about a unique input (alert or breach) pushed once (no
 *   ambiguous failure) whose id carries an alert version other than 1 (ids are
 *   `<fingerprint>.<alert version>.<kind>.<receiver>`): the input's alert was written more
 *   than once, i.e. Klaxon evaluated the input twice.
 */
import { ambiguous, type ItemKind, type Sent } from './load.js';
import type { Receipt } from './receiver.js';

export interface ChaosEvent {
  /** ms since the epoch */
  at: number;
  what: string;
}

export interface Duplicate {
  id: string;
  copies: number;
  /** Receipt times, ms after the scenario started. */
  at: number[];
  /** The chaos event closest after (or up to 2 s before) the first copy, and how far from it. */
  nearest?: { what: string; afterFirstMs: number };
}

export interface Tally {
  owed: number;
  delivered: number;
  lost: number;
  /** Extra copies with an id already received. */
  duplicated: number;
  duplicates: Duplicate[];
  /** Extra distinct ids for inputs whose push was retried after an ambiguous failure. */
  otherIdRetried: number;
  /** Extra distinct ids for inputs accepted at the first attempt: a bug. */
  otherIdBug: number;
  /** Notifications for inputs that were never accepted (the client gave up on them). */
  unowed: number;
  /** Notifications that name no input of ours. */
  unknown: number;
  /** Unique inputs told with an alert version other than 1: evaluated (and applied) twice. */
  appliedTwice: number;
  lostKeys: string[];
  otherIdKeys: string[];
  appliedTwiceIds: string[];
}

interface KeyState {
  kind: ItemKind;
  accepted: number;
  ambiguous: boolean;
}

export function tally(
  sent: readonly Sent[],
  receipts: readonly Receipt[],
  opts: { dedupMax: number; events: readonly ChaosEvent[]; t0: number },
): Tally {
  const keys = new Map<string, KeyState>();
  for (const s of sent) {
    const amb = s.attempts.some((a) => ambiguous(a.status));
    for (const item of s.items) {
      const k = keys.get(item.key) ?? { kind: item.kind, accepted: 0, ambiguous: false };
      if (s.accepted) k.accepted += 1;
      if (amb) k.ambiguous = true;
      keys.set(item.key, k);
    }
  }
  const ids = new Map<string, Receipt[]>();
  const idsByKey = new Map<string, Set<string>>();
  let unknown = 0;
  for (const r of receipts) {
    if (r.key === undefined || !keys.has(r.key)) {
      unknown += 1;
      continue;
    }
    const list = ids.get(r.id) ?? [];
    list.push(r);
    ids.set(r.id, list);
    const set = idsByKey.get(r.key) ?? new Set<string>();
    set.add(r.id);
    idsByKey.set(r.key, set);
  }

  const t: Tally = {
    owed: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    duplicates: [],
    otherIdRetried: 0,
    otherIdBug: 0,
    unowed: 0,
    unknown,
    appliedTwice: 0,
    lostKeys: [],
    otherIdKeys: [],
    appliedTwiceIds: [],
  };
  for (const [key, k] of keys) {
    const owed = k.kind === 'same' ? Math.min(k.accepted, opts.dedupMax) : k.accepted > 0 ? 1 : 0;
    const got = idsByKey.get(key)?.size ?? 0;
    t.owed += owed;
    t.delivered += Math.min(got, owed);
    if (got < owed) {
      t.lost += owed - got;
      t.lostKeys.push(key);
    }
    if (owed === 0) t.unowed += got;
    else if (got > owed) {
      t.otherIdKeys.push(key);
      if (k.ambiguous) t.otherIdRetried += got - owed;
      else t.otherIdBug += got - owed;
    }
  }
  for (const [id, list] of ids) {
    const key = (list[0] as Receipt).key as string;
    const k = keys.get(key);
    // An input pushed again after an ambiguous failure may well have been stored twice: its
    // second evaluation is the bot's doing (counted under otherIdRetried), not Klaxon's.
    if (k && k.kind !== 'same' && !k.ambiguous && id.split('.')[1] !== '1') {
      t.appliedTwice += 1;
      t.appliedTwiceIds.push(id);
    }
    if (list.length < 2) continue;
    t.duplicated += list.length - 1;
    const first = (list[0] as Receipt).at;
    const near = opts.events
      .filter((e) => e.at >= first - 2000)
      .sort((a, b) => Math.abs(a.at - first) - Math.abs(b.at - first))[0];
    t.duplicates.push({
      id,
      copies: list.length,
      at: list.map((r) => r.at - opts.t0),
      nearest: near ? { what: near.what, afterFirstMs: near.at - first } : undefined,
    });
  }
  return t;
}
