import type { Alert } from '../model/alert.js';
import { severityRank, type Severity } from '../model/severity.js';
import type { AlertSignal } from '../model/signal.js';
import type { AlertPolicy } from './policy.js';

/**
 * A state change worth telling somebody about; routing turns it into notifications. `raised`: a
 * firing alert rose above the severity last told (told like a new firing, with the old severity).
 */
export type Intent =
  { kind: 'firing' | 'repeat' | 'flapping' | 'resolved' } | { kind: 'raised'; from: Severity };

export interface Step {
  /** The alert after the change (`null`: forget it). */
  alert: Alert | null;
  intents: Intent[];
  /** The new status when the status changed. */
  transition?: 'pending' | 'firing' | 'resolved';
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
    const wasFlapping = alert.flapping;
    noteTransition(alert, now, policy);
    // Flapping is told once, on whichever change marks it (a resolve too), and not again after.
    const intents: Intent[] = alert.flapping
      ? wasFlapping || policy.muted
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
    if (
      told &&
      severityRank(sig.severity) > severityRank(told) &&
      !alert.acknowledged &&
      !alert.flapping &&
      !policy.muted
    ) {
      countNotification(alert, now, policy);
      return { alert, intents: [{ kind: 'raised', from: told }] };
    }
    if (sig.kind === 'occurrence' && !alert.flapping && mayNotify(alert, sig, now, policy)) {
      countNotification(alert, now, policy);
      return { alert, intents: [{ kind: 'firing' }] };
    }
    return { alert, intents: [] };
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
  if (sig.origin === 'alertmanager') alert.amStartsAt = sig.startsAt;
  alert.version = (prev?.version ?? 0) + 1;
  const wasFlapping = alert.flapping;
  noteTransition(alert, now, policy);
  if (alert.flapping) {
    return {
      alert,
      intents: wasFlapping || policy.muted ? [] : [{ kind: 'flapping' }],
      transition: 'firing',
    };
  }
  if (!mayNotify(alert, sig, now, policy)) return { alert, intents: [], transition: 'firing' };
  countNotification(alert, now, policy);
  return { alert, intents: [{ kind: 'firing' }], transition: 'firing' };
}

/**
 * What time alone does to an alert: reminders while it fires, quiet expiry of occurrence alerts,
 * the end of flapping, and forgetting resolved alerts after `retainMs`.
 */
export function tickAlert(alert: Alert, policy: AlertPolicy, now: number, retainMs: number): Step {
  if (alert.flapping) {
    const last = alert.transitions[alert.transitions.length - 1] ?? 0;
    if (now - last < policy.flap.windowMs) return { alert, intents: [] };
    // Calm again: tell the state it settled in, once.
    const settled: Alert = { ...alert, flapping: false, transitions: [], version: alert.version + 1 };
    if (settled.status === 'firing') {
      if (policy.muted) return { alert: settled, intents: [] };
      countNotification(settled, now, policy);
      return { alert: settled, intents: [{ kind: 'firing' }] };
    }
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
    return {
      alert: { ...alert, status: 'resolved', endsAt: now, notified: [], version: alert.version + 1 },
      intents: [],
      transition: 'resolved',
    };
  }
  if (
    alert.kind === 'state' &&
    policy.repeatMs !== undefined &&
    !alert.acknowledged &&
    alert.lastNotifiedAt !== undefined &&
    now - alert.lastNotifiedAt >= policy.repeatMs
  ) {
    const next = { ...alert, version: alert.version + 1 };
    // A reminder is a notification like any other: the dedup cap bounds it too.
    if (!mayNotify(next, undefined, now, policy)) {
      next.lastNotifiedAt = now;
      return { alert: next, intents: [] };
    }
    countNotification(next, now, policy);
    return { alert: next, intents: [{ kind: 'repeat' }] };
  }
  return { alert, intents: [] };
}

/** When `tickAlert` has something to do next for this alert, or undefined. */
export function nextDue(alert: Alert, policy: AlertPolicy, retainMs: number): number | undefined {
  if (alert.flapping) return (alert.transitions[alert.transitions.length - 1] ?? 0) + policy.flap.windowMs;
  if (alert.status === 'resolved') return (alert.endsAt ?? alert.lastSeenAt) + retainMs;
  if (alert.status !== 'firing') return undefined;
  if (alert.kind === 'occurrence') return alert.lastSeenAt + policy.resolveAfterMs;
  if (policy.repeatMs !== undefined && !alert.acknowledged && alert.lastNotifiedAt !== undefined)
    return alert.lastNotifiedAt + policy.repeatMs;
  return undefined;
}

function mayNotify(alert: Alert, sig: AlertSignal | undefined, now: number, policy: AlertPolicy): boolean {
  // A silenced alert is not told, and what is not told does not use up the dedup cap.
  if (policy.muted) return false;
  if (sig?.force || !policy.dedup) return true;
  if (alert.windowStart === undefined || now - alert.windowStart >= policy.dedup.windowMs) {
    alert.windowStart = now;
    alert.windowCount = 0;
  }
  return alert.windowCount < policy.dedup.max;
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
