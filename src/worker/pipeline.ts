import type { Logger } from 'pino';
import { groupsAt } from '../channels/registry.js';
import type { KlaxonConfig } from '../config/schema.js';
import { RecordBuilder } from '../digest/record.js';
import { RuleEngine } from '../detectors/rules/engine.js';
import type { RuleConfig } from '../detectors/rules/schema.js';
import type { IngestBatch } from '../model/batch.js';
import type { Notification } from '../model/notification.js';
import type { AlertSignal } from '../model/signal.js';
import type { KlaxonMetrics } from '../ops/metrics.js';
import { alertsNeeded, decide, type LaneInputs } from '../routing/decide.js';
import { compileInhibitRules, type InhibitRule, type Inhibitor } from '../routing/inhibition.js';
import { policyFor, type AlertPolicy, type PolicyDefaults } from '../routing/policy.js';
import type { ReceiverInfo } from '../routing/notify.js';
import { RouteTree } from '../routing/routes.js';
import type { Silence } from '../routing/silences.js';
import {
  holdsCondition,
  idleLimits,
  idleQuery,
  isEmptyEviction,
  planEviction,
  type IdleLimits,
} from '../state/eviction.js';
import {
  AlreadyApplied,
  VersionConflict,
  type InputId,
  type LaneStore,
  type ShardChanges,
} from '../state/shard-store.js';

/** Due timers taken per round of a tick. */
const TICK_BATCH = 1000;
/** Idle series and sources looked at per eviction round of a tick. */
const EVICT_BATCH = 1000;
/** A sender's input id is remembered at least this long (or the dedup window, if longer). */
const MIN_INPUT_ID_MS = 3_600_000;

export interface PipelineDeps {
  /** Rules, routes, receivers, inhibit rules and defaults come from it. */
  config: KlaxonConfig;
  /** Where the lanes' state lives: Redis (ShardStore) live, memory (MemoryLane) in replay and tests. */
  store: LaneStore;
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
 * From inputs to notifications for one shard: evaluate rules and detectors, decide the alerts'
 * life cycle (`decide()`), then commit everything at once and enqueue the deliveries.
 * Decisions use the batch's accept time (or the tick's time), never the wall clock, so a job that
 * runs again after a crash decides exactly as it did the first time.
 */
export class Pipeline {
  private readonly engine: RuleEngine;
  private readonly routes: RouteTree;
  /** Receivers that exist, with whether they want resolves and may be told in groups. */
  private readonly receivers: ReadonlyMap<string, ReceiverInfo>;
  private readonly rules = new Map<string, RuleConfig>();
  private readonly defaults: PolicyDefaults;
  private readonly directDefaults: PolicyDefaults;
  private readonly inhibitRules: InhibitRule[];
  private readonly inputIdMs: number;
  private readonly idle: IdleLimits;
  /** Watches of `expect`ed sources: kept however long their source is silent. */
  private readonly expectedKeys: Set<string>;

  constructor(private readonly deps: PipelineDeps) {
    const { config } = deps;
    this.engine = new RuleEngine(config.rules);
    this.routes = new RouteTree(config.routes);
    this.receivers = new Map(
      Object.entries(config.receivers).map(([n, r]) => [
        n,
        { sendResolved: r.send_resolved, groups: groupsAt(r) },
      ]),
    );
    for (const r of config.rules) this.rules.set(r.name, r);
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
    this.inhibitRules = compileInhibitRules(deps.config.inhibit_rules);
    this.inputIdMs = Math.max(MIN_INPUT_ID_MS, d.dedup.window, direct?.window ?? 0);
    this.idle = idleLimits(config.limits.idle_evict);
    this.expectedKeys = new Set(this.engine.expected().map((e) => e.key));
  }

  /** Evaluates one accepted batch (or the part of it that belongs to `shard`). */
  async processBatch(shard: number, jobId: string, batch: IngestBatch): Promise<Notification[]> {
    const { store } = this.deps;
    const { engine } = this;
    const plan = engine.plan(batch);
    // The rule states are read together with the done marker (one round trip): a job not applied
    // yet, the usual case, evaluates on them at once.
    const keys = [...plan.keys];
    const loading = store.loadRules(shard, keys);
    loading.catch(() => undefined); // awaited below, unless the job was applied already
    const already = await store.done(shard, jobId);
    if (already) {
      // Applied before a crash: make sure its deliveries were enqueued (ids make this idempotent).
      await this.handOn(shard, jobId, already);
      return already;
    }
    const now = batch.receivedAt;
    const ids = inputIds(batch);
    const { notifications } = await this.withRetry(
      shard,
      async (version, states) => {
        // Inputs whose id was evaluated before (a sender's retry) are left out, once.
        const seen = ids.length > 0 ? await store.seenInputs(shard, ids, now) : [];
        const fresh = seen.some(Boolean) || hasRepeats(ids) ? withoutSeen(batch, ids, seen) : batch;
        const used = fresh === batch ? plan : engine.plan(fresh);
        const result = engine.run(used, states, now);
        const outcome = await this.decideLane(
          shard,
          { signals: [...result.signals, ...fresh.alerts], acks: fresh.acks ?? [], due: [] },
          now,
          new RecordBuilder().snapshots(fresh.snapshots).events(fresh.events),
          batch.correlationId,
        );
        outcome.changes.ruleWrites = result.writes;
        outcome.changes.ruleTimers = result.timers;
        outcome.changes.inputIds = { ids: ids.filter((_, i) => !seen[i]), at: now, ttlMs: this.inputIdMs };
        outcome.changes.done = { jobId, notifications: outcome.notifications };
        outcome.changes.index = { at: now, sources: batchSources(fresh), keys: [...used.keys] };
        return { version, outcome };
      },
      keys,
      loading,
    );
    this.deps.metrics?.evaluated.inc({ kind: 'sample' }, countSamples(batch));
    this.deps.metrics?.evaluated.inc({ kind: 'event' }, batch.events.length);
    await this.handOn(shard, jobId, notifications);
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
    await this.evictIdle(shard, now);
    return all;
  }

  /**
   * Forgets the shard's series and sources idle longer than `limits.idle_evict` (after the
   * timers ran, in the lane's order): rounds of a thousand, each applied at once by the store.
   * A series whose condition is pending or firing, or the watch of an `expect`ed source, is kept
   * (seen again now). Nothing idle costs one read; a rerun finds nothing left to forget.
   */
  private async evictIdle(shard: number, now: number): Promise<void> {
    if (this.idle.seriesMs === undefined && this.idle.sourcesMs === undefined) return;
    const { store } = this.deps;
    const q = idleQuery(this.idle, now, EVICT_BATCH);
    const keep = (key: string, state: unknown) => this.expectedKeys.has(key) || holdsCondition(state);
    for (let round = 0, conflicts = 0; round < 1000; round++) {
      const candidates = await store.idle(shard, q);
      const plan = planEviction(candidates, q, now, keep);
      if (isEmptyEviction(plan)) return;
      try {
        const evicted = await store.evict(shard, candidates.version, plan);
        this.deps.metrics?.evicted.inc({ what: 'series' }, evicted.series);
        this.deps.metrics?.evicted.inc({ what: 'source' }, evicted.sources);
        if (evicted.series + evicted.sources > 0)
          this.deps.logger.debug({ shard, ...evicted }, 'forgot idle series and sources');
      } catch (err) {
        if (!(err instanceof VersionConflict) || ++conflicts > 20) throw err;
        continue;
      }
      if (candidates.series.length < EVICT_BATCH && candidates.sources.length < EVICT_BATCH) return;
    }
  }

  private async tickRound(
    shard: number,
    jobId: string,
    now: number,
  ): Promise<{ notifications: Notification[]; full: boolean }> {
    const { store } = this.deps;
    const { engine } = this;
    const already = await store.done(shard, jobId);
    if (already) {
      await this.handOn(shard, jobId, already);
      return { notifications: already, full: true };
    }
    const expected = engine.expected().filter((e) => store.shardOf(e.source) === shard);
    const exists = await store.ruleStatesExist(
      shard,
      expected.map((e) => e.key),
    );
    const missing = expected.filter((_, i) => !exists[i]);
    const dueRules = await store.dueRuleTimers(shard, now, TICK_BATCH);
    const dueAlerts = await store.dueAlertTimers(shard, now, TICK_BATCH);
    // Nothing due: an idle sweep writes nothing at all (no commit, no done marker).
    if (missing.length === 0 && dueRules.length === 0 && dueAlerts.length === 0)
      return { notifications: [], full: false };
    const { notifications } = await this.withRetry(
      shard,
      async (version, states) => {
        const seeded = engine.seed(missing, states, now);
        const ticked = engine.tick(dueRules, states, now);
        const outcome = await this.decideLane(
          shard,
          { signals: [...seeded.signals, ...ticked.signals], acks: [], due: dueAlerts },
          now,
          new RecordBuilder(),
        );
        outcome.changes.ruleWrites = new Map([...seeded.writes, ...ticked.writes]);
        outcome.changes.ruleTimers = new Map([...seeded.timers, ...ticked.timers]);
        outcome.changes.done = { jobId, notifications: outcome.notifications };
        // No input: nothing is seen, but a state a timer creates (a seeded watch) is indexed.
        outcome.changes.index = { at: now, sources: [], keys: [] };
        return { version, outcome };
      },
      dueRules,
    );
    await this.handOn(shard, jobId, notifications);
    return { notifications, full: dueRules.length >= TICK_BATCH || dueAlerts.length >= TICK_BATCH };
  }

  /**
   * Hands a committed job's notifications on for delivery, then lets its done marker forget them
   * (a rerun before that hands them on again: ids make it idempotent). A job that produced none
   * has nothing to forget.
   */
  private async handOn(shard: number, jobId: string, notifications: Notification[]): Promise<void> {
    await this.deps.deliver(notifications);
    if (notifications.length > 0) await this.deps.store.handedOn(shard, jobId);
  }

  /**
   * Loads, evaluates and commits, starting over when another writer committed in between.
   * `loaded`: the first attempt's read of `keys`, when the caller started it already.
   */
  private async withRetry(
    shard: number,
    run: (version: number, states: Map<string, unknown>) => Promise<{ version: number; outcome: Outcome }>,
    keys: string[],
    loaded?: ReturnType<LaneStore['loadRules']>,
  ): Promise<Outcome> {
    for (let attempt = 0; ; attempt++) {
      const { version, states } = await (attempt === 0 && loaded
        ? loaded
        : this.deps.store.loadRules(shard, keys));
      const { outcome } = await run(version, states);
      try {
        await this.deps.store.commit(shard, version, outcome.changes);
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

  /**
   * Loads what the life cycle needs and decides (`decide()`); the caller commits. The alerts'
   * steps join what `records` holds for the digest.
   */
  private async decideLane(
    shard: number,
    inputs: LaneInputs,
    now: number,
    records: RecordBuilder,
    correlationId?: string,
  ): Promise<Outcome> {
    const { store } = this.deps;
    const busy = inputs.signals.length > 0 || inputs.acks.length > 0 || inputs.due.length > 0;
    const none = new Map<string, Inhibitor>();
    const [stored, silences, inhibitors] = busy
      ? await Promise.all([
          store.loadAlerts(shard, alertsNeeded(inputs)),
          this.deps.silences(),
          this.inhibitRules.length > 0 ? store.inhibitors() : none,
        ])
      : [new Map(), [], none];
    const decision = decide(stored, inputs, {
      now,
      routes: this.routes,
      receivers: this.receivers,
      policyOf: (rule, origin) => this.policyOf(rule, origin),
      silences,
      inhibitRules: this.inhibitRules,
      inhibitors,
      retainMs: this.retainMs,
      recheckMs: this.deps.config.queue.sweep_every,
      ...(correlationId ? { correlationId } : {}),
    });
    for (const h of decision.history)
      if (h.type === 'transition' && h.status) this.deps.metrics?.transitions.inc({ status: h.status });
    return {
      changes: {
        ruleWrites: new Map(),
        ruleTimers: new Map(),
        alertWrites: decision.alerts,
        alertTimers: decision.timers,
        history: decision.history,
        inhibitors: decision.inhibitors,
        records: records.history(decision.history, decision.alerts).build(),
      },
      notifications: decision.notifications,
    };
  }

  private get retainMs(): number {
    return this.deps.config.defaults.retain_resolved;
  }

  private policyOf(rule: string | undefined, origin: AlertSignal['origin']): AlertPolicy {
    const r = rule === undefined ? undefined : this.rules.get(rule);
    return policyFor(r, origin === 'rule' ? this.defaults : this.directDefaults);
  }
}

/** The senders' idempotency keys in a batch, in input order (events, then direct alerts). */
function inputIds(b: IngestBatch): InputId[] {
  const out: InputId[] = [];
  for (const e of b.events) if (e.id !== undefined) out.push({ source: e.source, id: e.id });
  for (const a of b.alerts) if (a.id !== undefined) out.push({ source: a.labels.source ?? '', id: a.id });
  return out;
}

/** The sources of a batch's inputs (seen now, for eviction and the source cap). */
function batchSources(b: IngestBatch): string[] {
  const out = new Set<string>();
  for (const s of b.snapshots) out.add(s.source);
  for (const e of b.events) out.add(e.source);
  for (const a of b.alerts) if (a.labels.source) out.add(a.labels.source);
  return [...out];
}

function idKey(source: string, id: string): string {
  return `${source}\0${id}`;
}

function hasRepeats(ids: readonly InputId[]): boolean {
  return new Set(ids.map((i) => idKey(i.source, i.id))).size < ids.length;
}

/** The batch without inputs whose id was seen before, or earlier in the same batch. */
function withoutSeen(b: IngestBatch, ids: readonly InputId[], seen: readonly boolean[]): IngestBatch {
  const skip = new Set<string>();
  ids.forEach((i, n) => {
    if (seen[n]) skip.add(idKey(i.source, i.id));
  });
  const keep = (source: string, id: string | undefined) => {
    if (id === undefined) return true;
    const k = idKey(source, id);
    if (skip.has(k)) return false;
    skip.add(k);
    return true;
  };
  return {
    ...b,
    events: b.events.filter((e) => keep(e.source, e.id)),
    alerts: b.alerts.filter((a) => keep(a.labels.source ?? '', a.id)),
  };
}

function countSamples(b: IngestBatch): number {
  let n = 0;
  for (const s of b.snapshots) for (const _ in s.metrics) n++;
  return n;
}
