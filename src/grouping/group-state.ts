import type { AlertView } from '../model/alert.js';
import type { GroupRef, Notification } from '../model/notification.js';
import { severityRank, type Severity } from '../model/severity.js';

/**
 * A group's life, as pure functions of (stored state, input, now): which alerts it holds, when
 * its next message is due, and what that message says. Alertmanager's aggregation group, with
 * Klaxon's guarantee that nothing held back is forgotten: every alert that joins is told in a
 * later message unless it stopped firing before anybody heard of it.
 *
 * - A new group waits `waitMs` for more alerts before its first message (group_wait).
 * - After a message, what changes is told no sooner than `intervalMs` after it (group_interval).
 * - A message lists every alert still firing, and the alerts resolved since the last message
 *   (which then leave the group). An alert that fired and resolved before any message told it
 *   leaves untold.
 * - Nothing changed: no message, unless `repeatMs` passed since the last one and alerts still
 *   fire (then a `repeat` of the whole group), or a member's own reminder came in.
 *
 * The state is kept in parts (the group's meta, one entry per member, one per member gone), so
 * that adding a few alerts to a large group reads and writes only theirs.
 */

/** Notification ids remembered per member: adding one of them again changes nothing. */
export const IDS_KEPT = 8;
/** How long a member that left is remembered, so that a late copy of its notifications is ignored (ms). */
export const GONE_KEEP_MS = 24 * 3_600_000;
/**
 * A pending flush this late is taken as lost (its job failed for good, or was never added because
 * a process died in between): the next add schedules a new one. A late job that still runs
 * finds it is not the pending flush any more and does nothing.
 */
export const OVERDUE_MS = 60_000;

/** One alert of the group. */
export interface Member {
  /** The latest view of the alert (what the next message shows). */
  alert: AlertView;
  /** Something to tell about it since the last message: it joined, fired again, rose, resolved. */
  changed: boolean;
  /** A message has listed it. */
  told: boolean;
  /** The severity the last message that listed it showed. */
  toldSeverity?: Severity;
  /** Its own reminder (the rule's `repeat`) came in: the group is told again even if nothing changed. */
  remind?: boolean;
  /** When it was last updated (ms). */
  at: number;
  /** The latest notification ids applied to it, oldest first. */
  ids: string[];
}

/** A member that left the group: its last notification ids, so that a copy arriving late is ignored. */
export interface Gone {
  ids: string[];
  at: number;
}

/** When the group's next flush is due and its sequence number (part of the job id and message id). */
export interface PendingFlush {
  seq: number;
  due: number;
}

/** The group as a whole. */
export interface GroupMeta {
  /** The values of the route's `group_by` labels. */
  labels: Record<string, string>;
  waitMs: number;
  intervalMs: number;
  repeatMs?: number;
  /** The fallback of the routes its alerts came through (the latest seen). */
  fallback?: Notification['fallback'];
  /** Members it holds now. */
  size: number;
  /** When the first of its current members joined (ms). */
  firstAt?: number;
  /** When its last message was decided (ms). */
  lastFlushAt?: number;
  /** The id of its last message: the next one follows it. */
  lastMessage?: string;
  /** The last flush sequence number handed out. */
  seq: number;
  /** The flush scheduled and not run yet. */
  next?: PendingFlush;
}

/** What a function read of the group: the meta (absent for a group never seen) and some or all members. */
export interface GroupState {
  meta?: GroupMeta;
  members: Map<string, Member>;
  gone: Map<string, Gone>;
}

/** What a transition writes: the new meta, members and gone entries set or deleted. */
export interface GroupChange {
  meta: GroupMeta;
  setMembers: Map<string, Member>;
  delMembers: string[];
  setGone: Map<string, Gone>;
  delGone: string[];
}

/** One message of the group: its alerts in order, firing ones first. */
export interface GroupMessage {
  seq: number;
  id: string;
  kind: 'firing' | 'resolved' | 'repeat';
  alerts: AlertView[];
  /** The group's previous message, which must go out first. */
  after?: string;
  /** A message about a single alert that rose: the severity told before. */
  raisedFrom?: Severity;
}

export interface FlushOptions {
  /** The id the message of this flush gets. */
  messageId: string;
  /** The receiver wants resolves; otherwise resolved alerts leave the group untold. */
  sendResolved: boolean;
}

export interface FlushResult {
  /** Undefined when the flush was not the pending one (nothing to write). */
  change?: GroupChange;
  message?: GroupMessage;
  /** The flush to schedule now (a reminder), if any. */
  next?: PendingFlush;
}

/** Kinds that say something new about an alert; `repeat` asks for a reminder; the others only update it. */
const TELLING_KINDS: ReadonlySet<Notification['kind']> = new Set(['firing', 'resolved', 'flapping']);

/**
 * Adds notifications (all of the same group) to the group. `state` must hold the members and
 * gone entries of their alerts (others may be absent). Returns undefined when every one of them
 * was applied before (nothing to write); otherwise the change, whose meta says the flush to
 * schedule: a new group's first after `waitMs`, later ones `intervalMs` after the last message.
 */
export function addToGroup(
  state: GroupState,
  ref: GroupRef,
  ns: readonly Notification[],
  now: number,
): GroupChange | undefined {
  const meta: GroupMeta = state.meta
    ? { ...state.meta }
    : { labels: ref.labels, waitMs: 0, intervalMs: 0, size: 0, seq: 0 };
  meta.labels = ref.labels;
  meta.waitMs = ref.waitMs;
  meta.intervalMs = ref.intervalMs;
  if (ref.repeatMs !== undefined) meta.repeatMs = ref.repeatMs;
  else delete meta.repeatMs;
  const change = noChange(meta);
  const wasEmpty = meta.size === 0;
  let applied = false;
  for (const n of ns) {
    for (const alert of n.alerts) {
      const fp = alert.fingerprint;
      const current = change.setMembers.get(fp) ?? state.members.get(fp);
      const gone = change.delGone.includes(fp) ? undefined : state.gone.get(fp);
      if (current?.ids.includes(n.id) || (!current && gone?.ids.includes(n.id))) continue;
      applied = true;
      let m: Member;
      if (current) m = { ...current, ids: [...current.ids] };
      else {
        m = { alert, changed: false, told: false, at: now, ids: gone ? [...gone.ids] : [] };
        meta.size += 1;
        if (gone) change.delGone.push(fp);
      }
      m.alert = alert;
      m.at = now;
      m.ids = [...m.ids, n.id].slice(-IDS_KEPT);
      if (n.group?.quiet) {
        // Stopped recurring: it leaves at the next message, untold.
        m.changed = false;
        delete m.remind;
      } else if (TELLING_KINDS.has(n.kind)) m.changed = true;
      else if (n.kind === 'repeat' && alert.status === 'firing') m.remind = true;
      if (rose(m)) m.changed = true;
      change.setMembers.set(fp, m);
    }
    if (n.fallback) meta.fallback = n.fallback;
  }
  if (!applied) return undefined;
  if (wasEmpty) meta.firstAt = now;
  const wants = [...change.setMembers.values()].some((m) => m.changed || m.remind);
  if (wants) {
    const overdue = meta.next !== undefined && now - meta.next.due >= OVERDUE_MS;
    const due = overdue ? now : nextDue(meta, wasEmpty, now);
    if (!meta.next || overdue || due < meta.next.due) {
      meta.seq += 1;
      meta.next = { seq: meta.seq, due };
    }
  }
  return change;
}

/**
 * Runs flush `seq`: `state` must hold the whole group. A flush that is not the pending one (a
 * later add moved it earlier under a new number) changes nothing. Otherwise it decides the
 * message (if any), updates the members it told, lets the resolved ones go, and says when to look
 * again for a reminder.
 */
export function flushGroup(state: GroupState, seq: number, now: number, opts: FlushOptions): FlushResult {
  const before = state.meta;
  if (!before || before.next?.seq !== seq) return before?.next ? { next: before.next } : {};
  const meta: GroupMeta = { ...before };
  delete meta.next;
  const change = noChange(meta);
  for (const [fp, g] of state.gone) if (now - g.at >= GONE_KEEP_MS) change.delGone.push(fp);

  const firing: [string, Member][] = [];
  const resolved: [string, Member][] = [];
  const leave = (fp: string, m: Member) => {
    change.delMembers.push(fp);
    change.setGone.set(fp, { ids: m.ids, at: now });
    meta.size -= 1;
  };
  for (const [fp, m] of state.members) {
    if (m.alert.status === 'firing') firing.push([fp, m]);
    else if (m.told && m.changed && opts.sendResolved) resolved.push([fp, m]);
    // Resolved before anybody heard of it, or the receiver does not want resolves.
    else leave(fp, m);
  }
  firing.sort(byAttention);
  resolved.sort(byAttention);

  const changed = resolved.length > 0 || firing.some(([, m]) => m.changed);
  const repeatDue =
    meta.repeatMs !== undefined &&
    meta.lastFlushAt !== undefined &&
    now - meta.lastFlushAt >= meta.repeatMs &&
    firing.some(([, m]) => !m.alert.acknowledged);
  const reminded = firing.some(([, m]) => m.remind);
  let message: GroupMessage | undefined;
  if (changed || repeatDue || reminded) {
    const listed = [...firing, ...resolved];
    message = {
      seq,
      id: opts.messageId,
      kind: changed ? (firing.length > 0 ? 'firing' : 'resolved') : 'repeat',
      alerts: listed.map(([, m]) => m.alert),
    };
    if (meta.lastMessage !== undefined) message.after = meta.lastMessage;
    const only = listed.length === 1 ? listed[0]?.[1] : undefined;
    if (only && rose(only) && only.toldSeverity) message.raisedFrom = only.toldSeverity;
    for (const [fp, m] of firing) {
      const told: Member = { ...m, changed: false, told: true, toldSeverity: m.alert.severity };
      delete told.remind;
      change.setMembers.set(fp, told);
    }
    for (const [fp, m] of resolved) leave(fp, m);
    meta.lastFlushAt = now;
    meta.lastMessage = opts.messageId;
  }
  if (meta.size === 0) delete meta.firstAt;

  const result: FlushResult = { change };
  if (message) result.message = message;
  if (meta.repeatMs !== undefined && firing.length > 0) {
    // The next reminder; when it is due already but was not told (every firing alert is
    // acknowledged), look again a repeat_interval from now.
    const due = (meta.lastFlushAt ?? now) + meta.repeatMs;
    meta.seq += 1;
    meta.next = { seq: meta.seq, due: due > now ? due : now + meta.repeatMs };
    result.next = meta.next;
  }
  return result;
}

/** What notifications joining a group did: the change to write, and the message of a flush due at once. */
export interface JoinResult {
  change: GroupChange;
  /** The message of the flush that ran in the same transition (a new group with group_wait 0, say). */
  message?: GroupMessage;
  /** The flush to schedule: the one the join asks for, or the reminder after the flush that ran. */
  next?: PendingFlush;
}

/**
 * Notifications join their group (addToGroup), and when the flush that asks for is due already
 * and `state` holds the whole group (a new group, or one whose members were all read), that flush
 * runs in the same transition: a storm of new groups with group_wait 0 is told without a flush
 * job per group. Undefined when every notification was applied before.
 */
export function joinGroup(
  state: GroupState,
  ref: GroupRef,
  ns: readonly Notification[],
  now: number,
  opts: { messageIdOf: (seq: number) => string; sendResolved: boolean },
): JoinResult | undefined {
  const added = addToGroup(state, ref, ns, now);
  if (!added) return undefined;
  const next = added.meta.next;
  if (!next || next.due > now) return next ? { change: added, next } : { change: added };
  const after = applyChange(state, added);
  if (after.members.size !== added.meta.size) return { change: added, next };
  const flushed = flushGroup(after, next.seq, now, {
    messageId: opts.messageIdOf(next.seq),
    sendResolved: opts.sendResolved,
  });
  const result: JoinResult = { change: flushed.change ? mergeChanges(added, flushed.change) : added };
  if (flushed.message) result.message = flushed.message;
  if (flushed.next) result.next = flushed.next;
  return result;
}

/** One change that writes what `a` and then `b` write (sets first, then deletes, as the scripts do). */
export function mergeChanges(a: GroupChange, b: GroupChange): GroupChange {
  const setMembers = new Map(a.setMembers);
  for (const fp of b.delMembers) setMembers.delete(fp);
  for (const [fp, m] of b.setMembers) setMembers.set(fp, m);
  const setGone = new Map(a.setGone);
  for (const fp of b.delGone) setGone.delete(fp);
  for (const [fp, g] of b.setGone) setGone.set(fp, g);
  const dels = (x: string[], y: string[], kept: Map<string, unknown>) =>
    [...new Set([...x, ...y])].filter((fp) => !kept.has(fp));
  return {
    meta: b.meta,
    setMembers,
    delMembers: dels(a.delMembers, b.delMembers, setMembers),
    setGone,
    delGone: dels(a.delGone, b.delGone, setGone),
  };
}

/** A change that writes `meta` and nothing else yet. */
function noChange(meta: GroupMeta): GroupChange {
  return { meta, setMembers: new Map(), delMembers: [], setGone: new Map(), delGone: [] };
}

/** Applies a change to a state in memory (tests, and any in-memory adapter). */
export function applyChange(state: GroupState, change: GroupChange): GroupState {
  const members = new Map(state.members);
  const gone = new Map(state.gone);
  for (const fp of change.delMembers) members.delete(fp);
  for (const [fp, m] of change.setMembers) members.set(fp, m);
  for (const fp of change.delGone) gone.delete(fp);
  for (const [fp, g] of change.setGone) gone.set(fp, g);
  return { meta: change.meta, members, gone };
}

/**
 * When a flush is due for a group that has something new: a group forming now (it held no alert,
 * or was never told) waits `waitMs`; a standing group tells it `intervalMs` after its last
 * message, or at once when that is past.
 */
function nextDue(meta: GroupMeta, forming: boolean, now: number): number {
  if (forming || meta.lastFlushAt === undefined) return now + meta.waitMs;
  return Math.max(now, meta.lastFlushAt + meta.intervalMs);
}

/** A firing member shown at a higher severity than the last message that listed it. */
function rose(m: Member): boolean {
  return (
    m.told &&
    m.alert.status === 'firing' &&
    m.toldSeverity !== undefined &&
    severityRank(m.alert.severity) > severityRank(m.toldSeverity)
  );
}

/** Most severe first, then the longest firing, then by fingerprint (a stable order). */
function byAttention([fa, a]: [string, Member], [fb, b]: [string, Member]): number {
  return (
    severityRank(b.alert.severity) - severityRank(a.alert.severity) ||
    (a.alert.firingAt ?? a.alert.startsAt) - (b.alert.firingAt ?? b.alert.startsAt) ||
    (fa < fb ? -1 : fa > fb ? 1 : 0)
  );
}
