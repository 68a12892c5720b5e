import { Redis } from 'ioredis';
import pino from 'pino';
import { validateConfig } from '../../src/config/load.js';
import type { KlaxonConfig } from '../../src/config/schema.js';
import { recordBounds } from '../../src/digest/config.js';
import { DigestStore } from '../../src/digest/digest-store.js';
import type { AckInput, IngestBatch } from '../../src/model/batch.js';
import { fingerprint } from '../../src/model/fingerprint.js';
import type { Notification } from '../../src/model/notification.js';
import type { AlertSignal } from '../../src/model/signal.js';
import type { Recorded } from '../../src/replay/read.js';
import type { Silence } from '../../src/routing/silences.js';
import { Keys } from '../../src/state/keys.js';
import { MemoryLane } from '../../src/state/memory-lane.js';
import { ShardStore, type LaneStore } from '../../src/state/shard-store.js';
import { Pipeline } from '../../src/worker/pipeline.js';

export type LaneKind = 'memory' | 'redis';

/**
 * The pipeline (rules, `decide()`, routing, commit) on one of its two lane adapters, driven by
 * hand with an injected clock: `memory` (MemoryLane, as replay runs it) or `redis` (ShardStore
 * on the real Redis, as the service runs it, under a prefix of its own). Notifications are
 * collected instead of delivered, so a scenario can state its exact notification list.
 */
export class LaneHarness {
  readonly told: Notification[] = [];
  silences: Silence[] = [];
  /** The next hand-on for delivery fails, as if the process died between commit and queueing. */
  failNextDelivery = false;
  private readonly pipeline: Pipeline;
  private jobs = 0;
  private last?: { shard: number; batch: IngestBatch };

  private constructor(
    readonly config: KlaxonConfig,
    readonly store: LaneStore,
    private readonly redis?: Redis,
    readonly prefix?: string,
  ) {
    this.pipeline = new Pipeline({
      config,
      store,
      silences: async () => this.silences,
      deliver: async (ns) => {
        if (this.failNextDelivery) {
          this.failNextDelivery = false;
          throw new Error('the process died before its deliveries were queued');
        }
        this.told.push(...ns);
      },
      logger: pino({ level: 'silent' }),
    });
  }

  static async start(kind: LaneKind, raw: Record<string, unknown>, name: string): Promise<LaneHarness> {
    const prefix = `t-${name}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
    const { config } = validateConfig({ redis: { prefix }, ...raw }, `${name}.yaml`, {});
    if (kind === 'memory') return new LaneHarness(config, new MemoryLane(config.queue.shards));
    const redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', { lazyConnect: true });
    await redis.connect();
    const keys = new Keys(prefix, config.queue.shards);
    const store = new ShardStore(redis, keys, { records: recordBounds(config.digest) });
    return new LaneHarness(config, store, redis, prefix);
  }

  /** Deletes this harness's keys (never anything else) and disconnects. */
  async close(): Promise<void> {
    if (!this.redis || !this.prefix) return;
    let cursor = '0';
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${this.prefix}:*`, 'COUNT', 1000);
      if (keys.length > 0) await this.redis.del(...keys);
      cursor = next;
    } while (cursor !== '0');
    this.redis.disconnect();
  }

  async metrics(t: number, source: string, metrics: Record<string, number>): Promise<void> {
    await this.batch(t, { snapshots: [{ source, ts: t, metrics, labels: {} }] }, source);
  }

  async event(t: number, source: string, type: string, extra: { id?: string; data?: object } = {}) {
    const ev = { source, ts: t, type, data: { ...extra.data } as Record<string, unknown> };
    await this.batch(t, { events: [extra.id === undefined ? ev : { ...ev, id: extra.id }] }, source);
  }

  /** A direct alert (`POST /v1/alerts`) of `source`. */
  async alert(t: number, signal: Partial<AlertSignal> & { name: string; severity: AlertSignal['severity'] }) {
    const source = signal.labels?.source ?? 'bot';
    const sig: AlertSignal = {
      kind: 'occurrence',
      status: 'firing',
      annotations: { title: signal.name },
      ts: t,
      origin: 'direct',
      ...signal,
      labels: { ...signal.labels, source },
    };
    await this.batch(t, { alerts: [sig] }, source);
  }

  /** Acknowledges the alert `fp` of `source` (an input of that source's lane). */
  async ack(t: number, source: string, fp: string, by: string, until?: number): Promise<void> {
    const ack: AckInput = { fingerprint: fp, by, at: t, via: 'api' };
    if (until !== undefined) ack.until = until;
    await this.batch(t, { acks: [ack] }, source);
  }

  /** One recorded input (`readRecording`), evaluated at its own time. */
  async recorded(r: Recorded): Promise<void> {
    if ('snapshot' in r) await this.batch(r.ts, { snapshots: [r.snapshot] }, r.snapshot.source);
    else if ('event' in r) await this.batch(r.ts, { events: [r.event] }, r.event.source);
    else await this.batch(r.ts, { alerts: [r.alert] }, r.alert.labels.source ?? 'bot');
  }

  /** What the digest reads of this harness's Redis lanes. */
  digestStore(): DigestStore {
    if (!this.redis || !this.prefix) throw new Error('the digest reads Redis lanes only');
    return new DigestStore(
      this.redis,
      new Keys(this.prefix, this.config.queue.shards),
      this.config.digest.retention,
    );
  }

  /** Runs every lane's due timers at `t`, as a sweep of the scheduler does. */
  async tick(t: number): Promise<void> {
    for (let shard = 0; shard < this.store.shards; shard++)
      await this.pipeline.processTick(shard, `tick.${shard}.${t}`, t);
  }

  /** The stored alert `fp` of `source`. */
  async stored(source: string, fp: string) {
    return (await this.store.loadAlerts(this.store.shardOf(source), [fp])).get(fp);
  }

  /**
   * What was told since the last call, one line per notification:
   * `<kind>[ from <severity>][ step N] <alert> <severity> -> <receiver>`.
   */
  take(): string[] {
    const lines = this.told.map((n) => {
      const a = n.alerts[0];
      const from = n.raisedFrom ? ` from ${n.raisedFrom}` : '';
      const step = n.step !== undefined ? ` step ${n.step}` : '';
      return `${n.kind}${from}${step} ${a?.name} ${a?.severity} -> ${n.receiver}`;
    });
    this.told.length = 0;
    return lines;
  }

  fp(name: string, labels: Record<string, string>): string {
    return fingerprint(name, labels);
  }

  private async batch(t: number, part: Partial<IngestBatch>, source: string): Promise<void> {
    const id = `b${++this.jobs}`;
    const batch: IngestBatch = {
      id,
      correlationId: id,
      receivedAt: t,
      snapshots: [],
      events: [],
      alerts: [],
      ...part,
    };
    this.last = { shard: this.store.shardOf(source), batch };
    await this.pipeline.processBatch(this.last.shard, id, batch);
  }

  /** Runs the last input's job again under the same id, as a worker that takes it over does. */
  async runAgain(): Promise<void> {
    if (!this.last) throw new Error('no job ran yet');
    await this.pipeline.processBatch(this.last.shard, this.last.batch.id, this.last.batch);
  }
}
