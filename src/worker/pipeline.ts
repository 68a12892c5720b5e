import type { Logger } from 'pino';
import type { KlaxonConfig } from '../config/schema.js';
import type { RuleEngine } from '../detectors/rules/engine.js';
import type { RuleConfig } from '../detectors/rules/schema.js';
import type { Alert } from '../model/alert.js';
import type { IngestBatch } from '../model/batch.js';
import { fingerprint } from '../model/fingerprint.js';
import type { Notification } from '../model/notification.js';
import type { AlertSignal } from '../model/signal.js';
import type { KlaxonMetrics } from '../ops/metrics.js';
import { applySignal, nextDue, tickAlert, type Step } from '../routing/lifecycle.js';
import { route } from '../routing/notify.js';
import { policyFor, type AlertPolicy, type PolicyDefaults } from '../routing/policy.js';
import type { RouteTree } from '../routing/routes.js';
import { silencesFor, type Silence } from '../routing/silences.js';
import {
  AlreadyApplied,
  VersionConflict,
  type HistoryEntry,
  type ShardChanges,
  type ShardStore,
} from '../state/shard-store.js';

/** Due timers taken per round of a tick. */
const TICK_BATCH = 1000;

export interface PipelineDeps {
  config: KlaxonConfig;
  engine: RuleEngine;
  store: ShardStore;
  routes: RouteTree;
  /** Receivers that exist, with whether they want resolves. */
  receivers: ReadonlyMap<string, { sendResolved: boolean }>;
  silences(): Promise<Silence[]>;
  /** Enqueues delivery jobs (idempotent by notification id). */
  deliver(notifications: Notification[]): Promise<void>;
  metrics?: KlaxonMetrics;
  logger: Logger;
}

/** What one evaluation of a shard decided, before it is committed. */
interface Outcome {
  changes: ShardChanges;
  notifications: Notification[];
}

/**
 * From inputs to notifications for one shard: evaluate rules and detectors, apply the signals to
 * the alerts' life cycle, route, then commit everything at once and enqueue the deliveries.
 * Decisions use the batch's accept time (or the tick's time), never the wall clock, so a job that
 * runs again after a crash decides exactly as it did the first time.
 */
export class Pipeline {
  private readonly rules = new Map<string, RuleConfig>();
  private readonly defaults: PolicyDefaults;
  private readonly directDefaults: PolicyDefaults;

  constructor(private readonly deps: PipelineDeps) {
    for (const r of deps.config.rules) this.rules.set(r.name, r);
    const d = deps.config.defaults;
    this.defaults = {
      dedup: { windowMs: d.dedup.window, max: d.dedup.max },
      repeatMs: d.repeat === 'never' ? undefined : d.repeat,
      resolveAfterMs: d.resolve_after,
      flap: { windowMs: d.flapping.window, max: d.flapping.max },
    };
    const direct = d.direct.dedup;
    this.directDefaults = direct
      ? { ...this.defaults, dedup: { windowMs: direct.window, max: direct.max } }
      : this.defaults;
  }

  /** Evaluates one accepted batch (or the part of it that belongs to `shard`). */
  async processBatch(shard: number, jobId: string, batch: IngestBatch): Promise<Notification[]> {
    const already = await this.deps.store.done(shard, jobId);
    if (already) {
      // Applied before a crash: make sure its deliveries were enqueued (ids make this idempotent).
      await this.deps.deliver(already);
      return already;
    }
    const now = batch.receivedAt;
    const plan = this.deps.engine.plan(batch);
    const { notifications } = await this.withRetry(
      shard,
      async (version, states) => {
        const result = this.deps.engine.run(plan, states, now);
        const signals = [...result.signals, ...batch.alerts];
        const outcome = await this.applySignals(shard, signals, now, batch.correlationId);
        outcome.changes.ruleWrites = result.writes;
        outcome.changes.ruleTimers = result.timers;
        outcome.changes.done = { jobId, notifications: outcome.notifications };
        return { version, outcome };
      },
      [...plan.keys],
      now,
    );
    this.deps.metrics?.evaluated.inc({ kind: 'sample' }, countSamples(batch));
    this.deps.metrics?.evaluated.inc({ kind: 'event' }, batch.events.length);
    await this.deps.deliver(notifications);
    return notifications;
  }

  /** Runs what time alone decides in `shard` at `now`: due rule timers and alert timers. */
  async processTick(shard: number, jobId: string, now: number): Promise<Notification[]> {
    // Due timers are taken a thousand at a time; each round commits on its own, with its own
    // done marker, so a rerun after a crash carries on where the last committed round stopped.
    const all: Notification[] = [];
    for (let round = 0; round < 1000; round++) {
      const { notifications, full } = await this.tickRound(
        shard,
        round === 0 ? jobId : `${jobId}.${round}`,
        now,
      );
      all.push(...notifications);
      if (!full) break;
    }
    return all;
  }

  private async tickRound(
    shard: number,
    jobId: string,
    now: number,
  ): Promise<{ notifications: Notification[]; full: boolean }> {
    const already = await this.deps.store.done(shard, jobId);
    if (already) {
      await this.deps.deliver(already);
      return { notifications: already, full: true };
    }
    const { store, engine } = this.deps;
    const expected = engine.expected().filter((e) => store.keys.shardOf(e.source) === shard);
    const exists = await store.ruleStatesExist(
      shard,
      expected.map((e) => e.key),
    );
    const missing = expected.filter((_, i) => !exists[i]);
    const dueRules = await store.dueRuleTimers(shard, now, TICK_BATCH);
    const dueAlerts = await store.dueAlertTimers(shard, now, TICK_BATCH);
    const { notifications } = await this.withRetry(
      shard,
      async (version, states) => {
        const seeded = engine.seed(missing, states, now);
        const ticked = engine.tick(dueRules, states, now);
        const outcome = await this.applySignals(
          shard,
          [...seeded.signals, ...ticked.signals],
          now,
          undefined,
          dueAlerts,
        );
        outcome.changes.ruleWrites = new Map([...seeded.writes, ...ticked.writes]);
        outcome.changes.ruleTimers = new Map([...seeded.timers, ...ticked.timers]);
        outcome.changes.done = { jobId, notifications: outcome.notifications };
        return { version, outcome };
      },
      dueRules,
      now,
    );
    await this.deps.deliver(notifications);
    return { notifications, full: dueRules.length >= TICK_BATCH || dueAlerts.length >= TICK_BATCH };
  }

  /** Loads, evaluates and commits, starting over when another writer committed in between. */
  private async withRetry(
    shard: number,
    run: (version: number, states: Map<string, unknown>) => Promise<{ version: number; outcome: Outcome }>,
    keys: string[],
    now: number,
  ): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      const { version, states } = await this.deps.store.loadRules(shard, keys);
      const { outcome } = await run(version, states);
      try {
        await this.deps.store.commit(shard, version, outcome.changes, utcDay(now));
        return outcome;
      } catch (err) {
        // Applied already (by this very commit, sent again after a lost answer, or by a worker
        // that took the job over): what it produced then is what this job produces.
        if (err instanceof AlreadyApplied)
          return { changes: outcome.changes, notifications: err.notifications };
        if (!(err instanceof VersionConflict) || attempt >= 20) throw err;
        this.deps.logger.debug({ shard, attempt }, 'shard changed during evaluation; evaluating again');
      }
    }
  }

  private async applySignals(
    shard: number,
    signals: AlertSignal[],
    now: number,
    correlationId?: string,
    dueAlerts: string[] = [],
  ): Promise<Outcome> {
    const fps = signals.map((s) => fingerprint(s.name, s.labels));
    const alerts = await this.deps.store.loadAlerts(shard, [...new Set([...fps, ...dueAlerts])]);
    const silences = signals.length > 0 || dueAlerts.length > 0 ? await this.deps.silences() : [];
    const changes: ShardChanges = {
      ruleWrites: new Map(),
      ruleTimers: new Map(),
      alertWrites: new Map(),
      alertTimers: new Map(),
      history: [],
    };
    const notifications: Notification[] = [];
    const ctx = { routes: this.deps.routes, receivers: this.deps.receivers, now, correlationId };

    const settle = (fp: string, step: Step, policy: AlertPolicy, sig?: AlertSignal) => {
      const alert = step.alert;
      if (alert && step.intents.length > 0) {
        const ns = route(alert, step.intents, policy, ctx);
        notifications.push(...ns);
        for (const n of ns) changes.history.push(history(now, alert, 'notification', n.kind, n.receiver));
      }
      if (step.transition) {
        this.deps.metrics?.transitions.inc({ status: step.transition });
        const a = alert ?? (sig ? { name: sig.name, severity: sig.severity, labels: sig.labels } : undefined);
        if (a)
          changes.history.push({
            t: now,
            type: 'transition',
            fp,
            name: a.name,
            severity: a.severity,
            status: step.transition,
            source: a.labels.source,
          });
      }
      if (alert) alerts.set(fp, alert);
      else alerts.delete(fp);
      changes.alertWrites.set(fp, alert);
      changes.alertTimers.set(fp, alert ? (nextDue(alert, policy, this.retainMs) ?? null) : null);
    };

    const muted = (a: Pick<Alert, 'name' | 'severity' | 'labels'>) =>
      silencesFor(a, silences, now).length > 0;
    signals.forEach((sig, i) => {
      const fp = fps[i] as string;
      const policy = { ...this.policyOf(sig.rule, sig.origin), muted: muted(sig) };
      settle(fp, applySignal(alerts.get(fp), sig, fp, policy, now), policy, sig);
    });
    for (const fp of dueAlerts) {
      const alert = alerts.get(fp);
      if (!alert) {
        changes.alertTimers.set(fp, null);
        continue;
      }
      const policy = { ...this.policyOf(alert.rule, alert.origin), muted: muted(alert) };
      settle(fp, tickAlert(alert, policy, now, this.retainMs), policy);
    }
    return { changes, notifications };
  }

  private get retainMs(): number {
    return this.deps.config.defaults.retain_resolved;
  }

  private policyOf(rule: string | undefined, origin: AlertSignal['origin']): AlertPolicy {
    const r = rule === undefined ? undefined : this.rules.get(rule);
    return policyFor(r, origin === 'rule' ? this.defaults : this.directDefaults);
  }
}

function history(now: number, a: Alert, type: 'notification', kind: string, receiver: string): HistoryEntry {
  return {
    t: now,
    type,
    fp: a.fingerprint,
    name: a.name,
    severity: a.severity,
    source: a.labels.source,
    kind,
    receiver,
  };
}

function countSamples(b: IngestBatch): number {
  let n = 0;
  for (const s of b.snapshots) for (const _ in s.metrics) n++;
  return n;
}

export function utcDay(t: number): string {
  return new Date(t).toISOString().slice(0, 10);
}
