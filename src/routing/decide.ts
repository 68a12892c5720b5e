import type { Alert } from '../model/alert.js';
import type { AckInput } from '../model/batch.js';
import { fingerprint } from '../model/fingerprint.js';
import type { HistoryEntry } from '../model/history.js';
import type { Notification } from '../model/notification.js';
import { severityRank } from '../model/severity.js';
import type { AlertSignal } from '../model/signal.js';
import { inhibitedBy, isInhibitor, type InhibitRule, type Inhibitor } from './inhibition.js';
import { acknowledge, applySignal, nextDue, tickAlert, type Step } from './lifecycle.js';
import { route, type ReceiverInfo } from './notify.js';
import type { AlertPolicy } from './policy.js';
import { ESCALATE_SEVERITY, type RouteTree } from './routes.js';
import { silencesAt, type Silence } from './silences.js';

/** What a lane's life cycle is asked to decide at one moment. */
export interface LaneInputs {
  /** Alert signals in input order: from rules and detectors, then those pushed directly. */
  signals: readonly AlertSignal[];
  acks: readonly AckInput[];
  /** Fingerprints whose timers are due. */
  due: readonly string[];
}

/** Everything a decision depends on besides the stored alerts. */
export interface DecideContext {
  now: number;
  routes: RouteTree;
  /** Receivers that exist, with whether they want resolves. */
  receivers: ReadonlyMap<string, ReceiverInfo>;
  /** The rule's (or the defaults') dedup, reminders, expiry, flapping and receivers. */
  policyOf(rule: string | undefined, origin: Alert['origin']): AlertPolicy;
  silences: readonly Silence[];
  inhibitRules: readonly InhibitRule[];
  /** Firing alerts that may inhibit others, of every lane, as stored before this decision. */
  inhibitors: ReadonlyMap<string, Inhibitor>;
  /** Resolved alerts are forgotten this long after they resolved. */
  retainMs: number;
  /** How often owed alerts whose hold has no known end are looked at again. */
  recheckMs: number;
  correlationId?: string;
}

/** What one decision changes: the lane adapter stores it atomically, then delivers. */
export interface Decision {
  /** New alert states (`null`: forget it). */
  alerts: Map<string, Alert | null>;
  /** When each changed alert's timer is next due (`null`: none). */
  timers: Map<string, number | null>;
  /** This lane's alerts that may (`Inhibitor`) or may no longer (`null`) inhibit others. */
  inhibitors: Map<string, Inhibitor | null>;
  notifications: Notification[];
  history: HistoryEntry[];
}

/** Fingerprints of signals, computed once per signal (the loader and `decide` both need them). */
const fingerprints = new WeakMap<AlertSignal, string>();
function fingerprintOf(sig: AlertSignal): string {
  let fp = fingerprints.get(sig);
  if (fp === undefined) {
    fp = fingerprint(sig.name, sig.labels);
    fingerprints.set(sig, fp);
  }
  return fp;
}

/** The alerts a decision needs loaded. */
export function alertsNeeded(inputs: LaneInputs): string[] {
  return [
    ...new Set([
      ...inputs.signals.map(fingerprintOf),
      ...inputs.acks.map((a) => a.fingerprint),
      ...inputs.due,
    ]),
  ];
}

/**
 * The life cycle of a lane, as one pure function: (stored alerts, inputs, context) -> (new alert
 * states, timers, notifications, history). Signals are applied in order, then acknowledgements,
 * then due timers. The live pipeline calls it on what it read from Redis (src/worker/pipeline.ts
 * with src/state/shard-store.ts), and replay and the tests on memory (src/state/memory-lane.ts):
 * both decide exactly alike.
 */
export function decide(stored: ReadonlyMap<string, Alert>, inputs: LaneInputs, ctx: DecideContext): Decision {
  const { now } = ctx;
  const alerts = new Map(stored);
  const inhibitors = new Map(ctx.inhibitors);
  const out: Decision = {
    alerts: new Map(),
    timers: new Map(),
    inhibitors: new Map(),
    notifications: [],
    history: [],
  };

  const silencesOf = silencesAt(ctx.silences, now);
  const policyFor = (a: Pick<Alert, 'fingerprint' | 'name' | 'severity' | 'labels' | 'rule' | 'origin'>) => {
    const policy: AlertPolicy = { ...ctx.policyOf(a.rule, a.origin), recheckMs: ctx.recheckMs };
    const silenced = silencesOf(a);
    if (silenced.length > 0) {
      policy.hold = 'silence';
      policy.holdUntil = Math.max(...silenced.map((s) => s.endsAt));
      policy.silencedBy = silenced.map((s) => s.id);
    } else if (inhibitedBy(ctx.inhibitRules, a, inhibitors.values())) {
      policy.hold = 'inhibited';
    }
    if (severityRank(a.severity) >= severityRank(ESCALATE_SEVERITY)) {
      const steps = ctx.routes.destinationOf(a).escalate;
      if (steps) policy.escalate = steps;
    }
    return policy;
  };

  const settle = (fp: string, step: Step, policy: AlertPolicy, sig?: AlertSignal) => {
    const alert = step.alert;
    const who = alert ?? sig;
    const entry = (type: HistoryEntry['type']): HistoryEntry => {
      const e: HistoryEntry = { t: now, type, fp, name: who?.name ?? '', severity: who?.severity ?? '' };
      if (who?.labels.source !== undefined) e.source = who.labels.source;
      if (who) e.labels = who.labels;
      const title = who?.annotations.title ?? who?.annotations.summary;
      if (title !== undefined) e.title = title;
      if (who?.value !== undefined) e.value = who.value;
      return e;
    };
    if (step.transition)
      out.history.push({ ...entry('transition'), status: step.transition, ...quiet(step) });
    if (step.acked) {
      const e: HistoryEntry = { ...entry('acknowledged'), by: step.acked.by };
      if (step.acked.comment) e.comment = step.acked.comment;
      if (step.acked.via) e.via = step.acked.via;
      out.history.push(e);
    }
    if (step.held) {
      const e: HistoryEntry = { ...entry('held'), hold: step.held };
      if (step.held === 'silence' && policy.silencedBy) e.silences = policy.silencedBy;
      out.history.push(e);
    }
    if (alert && step.intents.length > 0) {
      const ns = route(alert, step.intents, policy, {
        routes: ctx.routes,
        receivers: ctx.receivers,
        now,
        ...(ctx.correlationId ? { correlationId: ctx.correlationId } : {}),
      });
      out.notifications.push(...ns);
      for (const n of ns) {
        if (n.group?.quiet) continue; // leaves its group; nobody is told
        const e: HistoryEntry = { ...entry('notification'), kind: n.kind, receiver: n.receiver };
        // A member of a group goes out in its group's message, under another id.
        if (!n.group) e.id = n.id;
        if (n.raisedFrom) e.from = n.raisedFrom;
        out.history.push(e);
      }
    }
    if (alert) alerts.set(fp, alert);
    else alerts.delete(fp);
    out.alerts.set(fp, alert);
    out.timers.set(fp, alert ? (nextDue(alert, policy, ctx.retainMs) ?? null) : null);
    // Whether it mutes others from now on, for the rest of this decision and for other lanes.
    const inhibits = alert?.status === 'firing' && isInhibitor(ctx.inhibitRules, alert);
    const was = inhibitors.has(fp);
    if (inhibits && alert) {
      const i: Inhibitor = {
        fingerprint: fp,
        name: alert.name,
        severity: alert.severity,
        labels: alert.labels,
      };
      inhibitors.set(fp, i);
      out.inhibitors.set(fp, i);
    } else if (was) {
      inhibitors.delete(fp);
      out.inhibitors.set(fp, null);
    }
  };

  for (const sig of inputs.signals) {
    const fp = fingerprintOf(sig);
    const policy = policyFor({ ...sig, fingerprint: fp });
    settle(fp, applySignal(alerts.get(fp), sig, fp, policy, now), policy, sig);
  }
  for (const ack of inputs.acks) {
    const alert = alerts.get(ack.fingerprint);
    if (!alert) continue;
    settle(ack.fingerprint, acknowledge(alert, ack), policyFor(alert));
  }
  for (const fp of inputs.due) {
    const alert = alerts.get(fp);
    if (!alert) {
      out.timers.set(fp, null);
      continue;
    }
    const policy = policyFor(alert);
    settle(fp, tickAlert(alert, policy, now, ctx.retainMs), policy);
  }
  return out;
}

function quiet(step: Step): { quiet?: true } {
  return step.quiet ? { quiet: true } : {};
}
