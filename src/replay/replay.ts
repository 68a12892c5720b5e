import type { KlaxonConfig } from '../config/schema.js';
import { RuleEngine, type EvalResult, type Evaluable } from '../detectors/rules/engine.js';
import type { Alert } from '../model/alert.js';
import { fingerprint } from '../model/fingerprint.js';
import type { AlertSignal } from '../model/signal.js';
import { applySignal, nextDue, tickAlert, type Step } from '../routing/lifecycle.js';
import { route } from '../routing/notify.js';
import { policyFor, type PolicyDefaults } from '../routing/policy.js';
import { RouteTree } from '../routing/routes.js';
import type { Recorded } from './read.js';

/** One line of what a replay saw: an alert changing state, with what routing would have sent. */
export interface ReplayEvent {
  t: number;
  alert: string;
  /** `expired`: an occurrence alert (event, anomaly) forgotten quietly after it stopped recurring. */
  status: 'firing' | 'resolved' | 'expired' | 'raised' | 'repeat' | 'flapping';
  severity: string;
  labels: Record<string, string>;
  title: string;
  /** Receivers that would have been told. */
  receivers: string[];
}

export interface ReplayResult {
  events: ReplayEvent[];
  /** Notifications routing would have sent, per receiver. */
  notifications: Record<string, number>;
  inputs: number;
  from?: number;
  to?: number;
}

/**
 * Runs the configured rules, detectors, life cycle and routing over recorded inputs with their
 * own timestamps as the clock, in memory, sending nothing. Timers (absence, reminders, expiry)
 * run every `queue.sweep_every` of recorded time, as the live scheduler would.
 */
export function replay(config: KlaxonConfig, records: readonly Recorded[]): ReplayResult {
  const engine = new RuleEngine(config.rules);
  const routes = new RouteTree(config.routes);
  const receivers = new Map(
    Object.entries(config.receivers).map(([n, r]) => [n, { sendResolved: r.send_resolved }]),
  );
  const rules = new Map(config.rules.map((r) => [r.name, r]));
  const d = config.defaults;
  const defaults: PolicyDefaults = {
    dedup: { windowMs: d.dedup.window, max: d.dedup.max },
    repeatMs: d.repeat === 'never' ? undefined : d.repeat,
    resolveAfterMs: d.resolve_after,
    flap: { windowMs: d.flapping.window, max: d.flapping.max },
  };
  const direct = d.direct.dedup
    ? { ...defaults, dedup: { windowMs: d.direct.dedup.window, max: d.direct.dedup.max } }
    : defaults;

  const states = new Map<string, unknown>();
  const ruleTimers = new Map<string, number>();
  const alerts = new Map<string, Alert>();
  const alertTimers = new Map<string, number>();
  const result: ReplayResult = { events: [], notifications: {}, inputs: records.length };
  const every = config.queue.sweep_every;
  const seeded = new Set<string>();

  const policyOf = (rule: string | undefined, origin: AlertSignal['origin']) =>
    policyFor(rule === undefined ? undefined : rules.get(rule), origin === 'rule' ? defaults : direct);

  const settle = (
    fp: string,
    step: Step,
    now: number,
    policy = policyOf(step.alert?.rule, step.alert?.origin ?? 'rule'),
  ) => {
    const alert = step.alert;
    const ns =
      alert && step.intents.length > 0 ? route(alert, step.intents, policy, { routes, receivers, now }) : [];
    for (const n of ns) result.notifications[n.receiver] = (result.notifications[n.receiver] ?? 0) + 1;
    const shown = alert;
    const push = (status: ReplayEvent['status'], kinds: string[]) => {
      if (!shown) return;
      result.events.push({
        t: now,
        alert: shown.name,
        status,
        severity: shown.severity,
        labels: shown.labels,
        title: shown.annotations.title ?? shown.name,
        receivers: ns.filter((n) => kinds.includes(n.kind)).map((n) => n.receiver),
      });
    };
    // State changes are shown whether or not anybody is told (dedup, silences); reminders,
    // severity rises and repeated occurrences when they are told.
    if (step.transition === 'firing') push('firing', ['firing', 'flapping']);
    if (step.transition === 'resolved' && alert)
      push(alert.kind === 'occurrence' ? 'expired' : 'resolved', ['resolved']);
    for (const intent of step.intents) {
      if (step.transition === 'firing' && (intent.kind === 'firing' || intent.kind === 'flapping')) continue;
      if (step.transition === 'resolved' && intent.kind === 'resolved') continue;
      push(intent.kind, [intent.kind === 'raised' ? 'firing' : intent.kind]);
    }
    if (alert) {
      alerts.set(fp, alert);
      const due = nextDue(alert, policy, d.retain_resolved);
      if (due === undefined) alertTimers.delete(fp);
      else alertTimers.set(fp, due);
    } else {
      alerts.delete(fp);
      alertTimers.delete(fp);
    }
  };

  const apply = (res: EvalResult, extra: AlertSignal[], now: number) => {
    for (const [k, due] of res.timers) {
      if (due === null) ruleTimers.delete(k);
      else ruleTimers.set(k, due);
    }
    for (const sig of [...res.signals, ...extra]) {
      const fp = fingerprint(sig.name, sig.labels);
      const policy = policyOf(sig.rule, sig.origin);
      settle(fp, applySignal(alerts.get(fp), sig, fp, policy, now), now, policy);
    }
  };

  const sweep = (now: number) => {
    const missing = engine.expected().filter((e) => !seeded.has(e.key) && !states.has(e.key));
    for (const m of missing) seeded.add(m.key);
    apply(engine.seed(missing, states, now), [], now);
    const dueRules = [...ruleTimers].filter(([, due]) => due <= now).map(([k]) => k);
    apply(engine.tick(dueRules, states, now), [], now);
    for (const [fp, due] of [...alertTimers]) {
      const alert = alerts.get(fp);
      if (due > now || !alert) continue;
      settle(fp, tickAlert(alert, policyOf(alert.rule, alert.origin), now, d.retain_resolved), now);
    }
  };

  let nextSweep: number | undefined;
  for (const rec of records) {
    const now = rec.ts;
    result.from ??= now;
    result.to = now;
    nextSweep ??= Math.ceil(now / every) * every;
    while (nextSweep <= now) {
      sweep(nextSweep);
      nextSweep += every;
    }
    const input: Evaluable = { snapshots: [], events: [], alerts: [] };
    if ('snapshot' in rec) input.snapshots.push(rec.snapshot);
    else if ('event' in rec) input.events.push(rec.event);
    else input.alerts.push(rec.alert);
    apply(engine.evaluate(input, states, now), input.alerts, now);
  }
  return result;
}

/** The replay as text: one line per state change, then the totals. */
export function formatReplay(r: ReplayResult): string {
  const lines = r.events.map((e) => {
    const labels = Object.entries(e.labels)
      .map(([k, v]) => `${k}=${v}`)
      .join(',');
    const to = e.receivers.length > 0 ? ` -> ${e.receivers.join(', ')}` : ' (nobody told)';
    return `${new Date(e.t).toISOString()}  ${e.status.toUpperCase().padEnd(9)} ${e.severity.padEnd(8)} ${e.alert} {${labels}}  ${e.title}${to}`;
  });
  const fired = r.events.filter((e) => e.status === 'firing').length;
  const resolved = r.events.filter((e) => e.status === 'resolved').length;
  const expired = r.events.filter((e) => e.status === 'expired').length;
  const span =
    r.from !== undefined && r.to !== undefined
      ? ` from ${new Date(r.from).toISOString()} to ${new Date(r.to).toISOString()}`
      : '';
  lines.push(
    '',
    `${r.inputs} inputs${span}: ${fired} fired, ${resolved} resolved, ${expired} expired`,
    `notifications that would have been sent: ${
      Object.entries(r.notifications)
        .map(([k, v]) => `${k} ${v}`)
        .join(', ') || 'none'
    } (nothing was sent)`,
  );
  return lines.join('\n') + '\n';
}
