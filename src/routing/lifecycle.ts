import type { AckInput } from '../model/batch.js';
import type { Alert, Hold } from '../model/alert.js';
import { severityRank, type Severity } from '../model/severity.js';
import type { AlertSignal } from '../model/signal.js';
import type { AlertPolicy } from './policy.js';

/** How often an owed alert whose hold has no known end (an inhibition) is looked at again. */
export const DEFAULT_RECHECK_MS = 10_000;
/** How often a silenced owed alert is looked at before its silence's end (it may be expired early). */
const SILENCE_RECHECK_MS = 60_000;

/**
 * A state change worth telling somebody about; routing turns it into notifications. `raised`: a
 * firing alert rose above the severity last told (told like a new firing, with the old severity).
 * `escalated`: nobody acknowledged it in time, so an escalation step's receivers are told.
 */
export type Intent =
  | { kind: 'firing' | 'repeat' | 'flapping' | 'resolved' | 'acknowledged' }
  /** An occurrence alert stopped recurring: nobody is told, but groups let it go. */
  | { kind: 'expired' }
  | { kind: 'raised'; from: Severity }
  | { kind: 'escalated'; step: number; receivers: string[] };

export interface Step {
  /** The alert after the change (`null`: forget it). */
  alert: Alert | null;
  intents: Intent[];
  /** The new status when the status changed. */
  transition?: 'pending' | 'firing' | 'resolved';
  /** A firing-side notification was kept back (and is now owed) by this hold. */
  held?: Hold;
  /** An expiry nobody is told of: an occurrence alert that stopped recurring. */
  quiet?: boolean;
  /** Somebody acknowledged it with this input. */
  acked?: AckInput;
}

/**
 * Applies one signal to an alert's stored state. Pure: the same state, signal, policy and time
 * always give the same result, which is what lets a replayed job reach the same decisions.
 */
export function applySignal(
  prev: Alert | undefined,
  sig: AlertSignal,
  fp: string,
  policy: AlertPolicy,
  now: number,
): Step {
  const active = prev && prev.status !== 'resolved' ? prev : undefined;

  if (sig.status === 'pending') {
    if (active?.status === 'firing') return { alert: active, intents: [] };
    if (active) return { alert: { ...refresh(active, sig, now), status: 'pending' }, intents: [] };
    return { alert: fresh(prev, sig, fp, now, 'pending'), intents: [], transition: 'pending' };
  }

  if (sig.status === 'resolved') {
    if (!active) return { alert: prev ?? null, intents: [] };
    if (active.status === 'pending') {
      // Never fired, so nobody is told. Forgotten, unless it carries an earlier episode's dedup
      // window or flapping history: those must outlive it (see `fresh`).
      const keep = active.windowStart !== undefined || active.transitions.length > 0;
      const alert: Alert | null = keep
        ? { ...active, status: 'resolved', endsAt: sig.ts, version: active.version + 1 }
        : null;
      return { alert, intents: [], transition: 'resolved' };
    }
    const alert: Alert = {
      ...refresh(active, sig, now),
      status: 'resolved',
      endsAt: sig.ts,
      version: active.version + 1,
    };
    // What was owed is not told any more: it stopped firing. Those told it fired hear it stopped.
    delete alert.owed;
    const wasFlapping = alert.flapping;
    noteTransition(alert, now, policy);
    // Flapping is told once, on whichever change marks it (a resolve too), and not again after.
    const intents: Intent[] = alert.flapping
      ? wasFlapping || policy.hold
        ? []
        : [{ kind: 'flapping' }]
      : alert.notified.length === 0
        ? []
        : [{ kind: 'resolved' }];
    return { alert, intents, transition: 'resolved' };
  }

  // Firing.
  if (active?.status === 'firing') {
    const alert = { ...refresh(active, sig, now), version: active.version + 1 };
    // Alertmanager sends a firing alert again and again (and HA pairs send it twice): the same
    // startsAt is the same episode; only a new startsAt is a new one.
    const amRepeat = sig.origin === 'alertmanager' && sig.startsAt === active.amStartsAt;
    if (sig.kind === 'occurrence' || !amRepeat) alert.occurrences += 1;
    if (sig.origin === 'alertmanager') alert.amStartsAt = sig.startsAt;
    const told = alert.notifiedSeverity;
    if (told && severityRank(sig.severity) > severityRank(told) && !alert.acknowledged && !alert.flapping)
      return tell(alert, { kind: 'raised', from: told }, now, policy, true);
    if (sig.kind === 'occurrence' && !alert.flapping)
      return tell(alert, { kind: 'firing' }, now, policy, sig.force === true);
    // Still firing: a hold that ended since (a silence expired) lets what it kept back out.
    return alert.owed && !alert.flapping ? payOwed(alert, now, policy) : { alert, intents: [] };
  }

  const alert = active
    ? // A pending alert that now fires is the same episode: its first signal was the first occurrence.
      {
        ...refresh(active, sig, now),
        occurrences: active.status === 'pending' ? active.occurrences : active.occurrences + 1,
      }
    : fresh(prev, sig, fp, now);
  alert.status = 'firing';
  // The input's own time, like startsAt and endsAt, so that how long it fired reads true.
  alert.firingAt = sig.ts;
  alert.endsAt = undefined;
  alert.acknowledged = undefined;
  delete alert.owed;
  delete alert.escalated;
  delete alert.toldAt;
  if (sig.origin === 'alertmanager') alert.amStartsAt = sig.startsAt;
  alert.version = (prev?.version ?? 0) + 1;
  const wasFlapping = alert.flapping;
  noteTransition(alert, now, policy);
  if (alert.flapping) {
    return {
      alert,
      intents: wasFlapping || policy.hold ? [] : [{ kind: 'flapping' }],
      transition: 'firing',
    };
  }
  return { ...tell(alert, { kind: 'firing' }, now, policy, sig.force === true), transition: 'firing' };
}

/**
 * Somebody took the alert: reminders and escalation stop, and the receivers told it fires hear
 * who took it. An acknowledgement of an alert already acknowledged (or resolved) changes nothing.
 */
export function acknowledge(alert: Alert, ack: AckInput): Step {
  if (alert.status === 'resolved' || alert.acknowledged) return { alert, intents: [] };
  const acknowledged: NonNullable<Alert['acknowledged']> = { by: ack.by, at: ack.at };
  if (ack.comment) acknowledged.comment = ack.comment;
  if (ack.until !== undefined) acknowledged.until = ack.until;
  if (ack.via) acknowledged.via = ack.via;
  const next: Alert = { ...alert, acknowledged, version: alert.version + 1 };
  return { alert: next, intents: next.notified.length > 0 ? [{ kind: 'acknowledged' }] : [], acked: ack };
}

/**
 * Tells `intent` unless a hold keeps it back: a silence or an inhibition (`policy.hold`), or the
 * dedup cap (unless `uncapped`: a severity rise, a forced signal). What is kept back is owed.
 */
function tell(alert: Alert, intent: Intent, now: number, policy: AlertPolicy, uncapped: boolean): Step {
  const hold: Hold | undefined =
    policy.hold ?? (!uncapped && capped(alert, now, policy) ? 'dedup' : undefined);
  if (hold) {
    // Recorded when the hold starts (or changes), not again for every signal it keeps back.
    const fresh = alert.owed?.hold !== hold;
    owe(alert, hold, now, policy);
    return fresh ? { alert, intents: [], held: hold } : { alert, intents: [] };
  }
  countNotification(alert, now, policy);
  delete alert.owed;
  alert.toldAt ??= now;
  return { alert, intents: [intent] };
}

/** Records a notification kept back by `hold`, with when to look at it again. */
function owe(alert: Alert, hold: Hold, now: number, policy: AlertPolicy): void {
  const before = alert.owed;
  const severity =
    before && severityRank(before.severity) > severityRank(alert.severity) ? before.severity : alert.severity;
  const until =
    hold === 'dedup' && policy.dedup && alert.windowStart !== undefined
      ? alert.windowStart + policy.dedup.windowMs
      : hold === 'silence'
        ? policy.holdUntil
        : undefined;
  // A dedup window ends when it ends. A silence ends at its end, unless it is expired sooner:
  // looked at again each minute for that. An inhibition ends with its source: each sweep.
  const every = policy.recheckMs ?? DEFAULT_RECHECK_MS;
  const checkAt =
    hold === 'dedup' && until !== undefined
      ? until
      : hold === 'silence'
        ? Math.min(until ?? Infinity, now + Math.max(every, SILENCE_RECHECK_MS))
        : now + every;
  alert.owed = { since: before?.since ?? now, severity, hold, checkAt };
}

/**
 * Tells what a hold kept back, if the alert still fires and nothing holds it now: a rise above
 * the severity told, or the firing itself.
 */
function payOwed(alert: Alert, now: number, policy: AlertPolicy): Step {
  if (!alert.owed || alert.status !== 'firing') return { alert, intents: [] };
  const told = alert.notifiedSeverity;
  if (told && severityRank(alert.severity) > severityRank(told))
    return tell(alert, { kind: 'raised', from: told }, now, policy, true);
  return tell(alert, { kind: 'firing' }, now, policy, false);
}

/**
 * What time alone does to an alert: the end of flapping, forgetting resolved alerts after
 * `retainMs`, quiet expiry of occurrence alerts, an acknowledgement that lapses, what a hold kept
 * back once it ends, escalation steps, and reminders while it fires.
 */
export function tickAlert(alert: Alert, policy: AlertPolicy, now: number, retainMs: number): Step {
  if (alert.flapping) {
    const last = alert.transitions[alert.transitions.length - 1] ?? 0;
    if (now - last < policy.flap.windowMs) return { alert, intents: [] };
    // Calm again: tell the state it settled in, once.
    const settled: Alert = { ...alert, flapping: false, transitions: [], version: alert.version + 1 };
    if (settled.status === 'firing') return tell(settled, { kind: 'firing' }, now, policy, true);
    // Settled resolved: those told it fired hear that it stopped.
    if (settled.status === 'resolved' && settled.notified.length > 0) {
      return { alert: settled, intents: [{ kind: 'resolved' }] };
    }
    return { alert: settled, intents: [] };
  }
  if (alert.status === 'resolved') {
    return now - (alert.endsAt ?? alert.lastSeenAt) >= retainMs
      ? { alert: null, intents: [] }
      : { alert, intents: [] };
  }
  if (alert.status !== 'firing') return { alert, intents: [] };
  if (alert.kind === 'occurrence' && now - alert.lastSeenAt >= policy.resolveAfterMs) {
    // Expired quietly: occurrences stopped. Nobody is told, and the next one starts afresh.
    const expired: Alert = {
      ...alert,
      status: 'resolved',
      endsAt: now,
      notified: [],
      version: alert.version + 1,
    };
    delete expired.owed;
    return { alert: expired, intents: [], transition: 'resolved', quiet: true };
  }

  const next: Alert = { ...alert, version: alert.version + 1 };
  let changed = false;
  const intents: Intent[] = [];
  let held: Hold | undefined;
  if (next.acknowledged?.until !== undefined && now >= next.acknowledged.until) {
    // The acknowledgement lapsed: reminders and escalation start again.
    next.acknowledged = undefined;
    changed = true;
  }
  if (next.owed && now >= next.owed.checkAt) {
    const paid = payOwed(next, now, policy);
    intents.push(...paid.intents);
    held = paid.held;
    changed = true;
  }
  const step = dueEscalation(next, policy, now);
  if (step !== undefined && !policy.hold) {
    const s = policy.escalate?.[step];
    if (s) intents.push({ kind: 'escalated', step, receivers: s.receivers });
    next.escalated = step + 1;
    changed = true;
  }
  if (
    next.kind === 'state' &&
    policy.repeatMs !== undefined &&
    !next.acknowledged &&
    next.lastNotifiedAt !== undefined &&
    now - next.lastNotifiedAt >= policy.repeatMs &&
    !intents.some((i) => i.kind === 'firing' || i.kind === 'raised')
  ) {
    changed = true;
    // A reminder is a notification like any other: the dedup cap bounds it, and a silence too.
    if (policy.hold || capped(next, now, policy)) next.lastNotifiedAt = now;
    else {
      countNotification(next, now, policy);
      intents.push({ kind: 'repeat' });
    }
  }
  if (!changed) return { alert, intents: [] };
  const out: Step = { alert: next, intents };
  if (held) out.held = held;
  return out;
}

/** The escalation step due now for a told, unacknowledged, firing alert, or undefined. */
function dueEscalation(alert: Alert, policy: AlertPolicy, now: number): number | undefined {
  const due = nextEscalation(alert, policy);
  return due !== undefined && now >= due ? (alert.escalated ?? 0) : undefined;
}

/** When the next escalation step of the alert is due, or undefined (none left, acknowledged). */
function nextEscalation(alert: Alert, policy: AlertPolicy): number | undefined {
  if (alert.status !== 'firing' || alert.acknowledged || alert.toldAt === undefined) return undefined;
  const s = policy.escalate?.[alert.escalated ?? 0];
  return s === undefined ? undefined : alert.toldAt + s.afterMs;
}

/** When `tickAlert` has something to do next for this alert, or undefined. */
export function nextDue(alert: Alert, policy: AlertPolicy, retainMs: number): number | undefined {
  if (alert.flapping) return (alert.transitions[alert.transitions.length - 1] ?? 0) + policy.flap.windowMs;
  if (alert.status === 'resolved') return (alert.endsAt ?? alert.lastSeenAt) + retainMs;
  if (alert.status !== 'firing') return undefined;
  const due: number[] = [];
  if (alert.kind === 'occurrence') due.push(alert.lastSeenAt + policy.resolveAfterMs);
  if (alert.owed) due.push(alert.owed.checkAt);
  if (alert.acknowledged?.until !== undefined) due.push(alert.acknowledged.until);
  const escalation = nextEscalation(alert, policy);
  if (escalation !== undefined) due.push(escalation);
  if (
    alert.kind === 'state' &&
    policy.repeatMs !== undefined &&
    !alert.acknowledged &&
    alert.lastNotifiedAt !== undefined
  )
    due.push(alert.lastNotifiedAt + policy.repeatMs);
  return due.length > 0 ? Math.min(...due) : undefined;
}

/** Whether the dedup cap keeps a notification back now (starting a new window when one ended). */
function capped(alert: Alert, now: number, policy: AlertPolicy): boolean {
  if (!policy.dedup) return false;
  if (alert.windowStart === undefined || now - alert.windowStart >= policy.dedup.windowMs) {
    alert.windowStart = now;
    alert.windowCount = 0;
  }
  return alert.windowCount >= policy.dedup.max;
}

function countNotification(alert: Alert, now: number, policy: AlertPolicy): void {
  if (policy.dedup && (alert.windowStart === undefined || now - alert.windowStart >= policy.dedup.windowMs)) {
    alert.windowStart = now;
    alert.windowCount = 0;
  }
  alert.windowCount += 1;
  alert.lastNotifiedAt = now;
  alert.notifiedSeverity = alert.severity;
}

function noteTransition(alert: Alert, now: number, policy: AlertPolicy): void {
  const recent = alert.transitions.filter((t) => now - t < policy.flap.windowMs);
  recent.push(now);
  alert.transitions = recent.slice(-policy.flap.max - 1);
  if (recent.length >= policy.flap.max) alert.flapping = true;
}

function refresh(a: Alert, sig: AlertSignal, now: number): Alert {
  const next: Alert = {
    ...a,
    severity: sig.status === 'resolved' ? a.severity : sig.severity,
    annotations: sig.status === 'resolved' ? { ...a.annotations, ...sig.annotations } : sig.annotations,
    lastSeenAt: now,
  };
  copyMeasure(next, sig);
  if (sig.links) next.links = sig.links;
  return next;
}

/**
 * The value, and the threshold and unit it is judged by, as the latest signal gave them. A
 * resolve keeps the threshold the alert fired at: that is the one a person compares with.
 */
function copyMeasure(alert: Alert, sig: AlertSignal): void {
  if (sig.value !== undefined) alert.value = sig.value;
  if (sig.unit !== undefined) alert.unit = sig.unit;
  if (sig.status === 'resolved') return;
  if (sig.threshold !== undefined) alert.threshold = sig.threshold;
  if (sig.op !== undefined) alert.op = sig.op;
}

function fresh(
  prev: Alert | undefined,
  sig: AlertSignal,
  fp: string,
  now: number,
  status: Alert['status'] = 'firing',
): Alert {
  const alert: Alert = {
    fingerprint: fp,
    name: sig.name,
    kind: sig.kind,
    status,
    severity: sig.severity,
    labels: sig.labels,
    annotations: sig.annotations,
    origin: sig.origin,
    startsAt: sig.startsAt ?? sig.ts,
    lastSeenAt: now,
    occurrences: 1,
    // Receivers told an earlier episode fired and never told it resolved (flapping, a silence)
    // are still owed that resolve.
    notified: prev?.notified ?? [],
    // The dedup window outlives an episode: a flapping condition cannot re-notify past the cap.
    windowStart: prev?.windowStart,
    windowCount: prev?.windowCount ?? 0,
    transitions: prev?.transitions ?? [],
    flapping: prev?.flapping ?? false,
    version: (prev?.version ?? 0) + 1,
  };
  if (sig.rule) alert.rule = sig.rule;
  copyMeasure(alert, sig);
  if (sig.links) alert.links = sig.links;
  return alert;
}
