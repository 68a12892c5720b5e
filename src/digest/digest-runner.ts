import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { KlaxonConfig } from '../config/schema.js';
import type { Clock } from '../model/clock.js';
import type { Notification } from '../model/notification.js';
import type { Keys } from '../state/keys.js';
import { DigestStore } from './digest-store.js';
import { computeDigest } from './figures.js';
import { slotAtOrBefore, slotOnDate, windowEndingAt } from './schedule.js';
import type { DigestReport } from './types.js';

/**
 * Raises the latest handled slot, never lowers it (two workers may finish slots out of order).
 * KEYS: 1 the `digest-last` key. ARGV: 1 the slot (ms). Returns 1 when raised.
 */
const RAISE_LUA = `
local current = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > current then
  redis.call('SET', KEYS[1], ARGV[1])
  return 1
end
return 0
`;

/** A digest job that fails (Redis away) is tried again for about an hour. */
const JOB_OPTS = {
  attempts: 12,
  backoff: { type: 'exponential', delay: 2000 },
  removeOnComplete: 100,
} as const;

export interface DigestRunnerDeps {
  config: KlaxonConfig;
  redis: Redis;
  keys: Keys;
  /** Enqueues delivery jobs (idempotent by notification id). */
  deliver(notifications: Notification[]): Promise<void>;
  clock: Clock;
  logger: Logger;
}

/**
 * Makes and sends the daily digest. A scheduled slot's digest goes to each digest receiver as a
 * `digest` notification through the delivery queues, with the id `digest.<slot>.<receiver>`: two
 * workers running the same slot, or one running it again after a restart, enqueue the same jobs,
 * and the delivery worker's sent marker keeps a rerun from sending twice. `digest-last` says which
 * slot was handled last: a start that finds a later slot has passed (the service was down at
 * that time) sends that slot's digest, marked late.
 */
export class DigestRunner {
  readonly store: DigestStore;

  constructor(private readonly deps: DigestRunnerDeps) {
    this.store = new DigestStore(deps.redis, deps.keys, deps.config.digest.retention);
  }

  private get cfg(): KlaxonConfig['digest'] {
    return this.deps.config.digest;
  }

  /** The digest of a window, of every source or of one. */
  async report(
    window: { start: number; end: number },
    opts: { source?: string; lateFrom?: number; generatedAt: number },
  ): Promise<DigestReport> {
    const input = await this.store.read(window, opts.source);
    const report = computeDigest(input, {
      timeZone: this.cfg.time_zone,
      generatedAt: opts.generatedAt,
      heartbeatGapMs: this.cfg.heartbeat_gap,
      noisiest: this.cfg.noisiest,
      ...(opts.lateFrom !== undefined ? { lateFrom: opts.lateFrom } : {}),
    });
    return { ...report, currency: this.cfg.currency };
  }

  /**
   * The window a request for a digest means: ending at `date`'s scheduled time (as the scheduled
   * digest of that date), or at `now`; `lookbackMs` long, else `digest.lookback`. Throws a
   * NoDigestSlot when the schedule has no time on that date.
   */
  windowFor(q: { date?: string; lookbackMs?: number }, now: number): { start: number; end: number } {
    let end = now;
    if (q.date !== undefined) {
      const slot = slotOnDate(this.cfg.schedule, this.cfg.time_zone, q.date);
      if (slot === undefined) throw new NoDigestSlot(this.cfg.schedule, q.date, this.cfg.time_zone);
      end = slot;
    }
    return windowEndingAt(end, q.lookbackMs ?? this.cfg.lookback);
  }

  /** The report a slot's digest sent, as it was sent (kept for `digest.retention`). */
  async stored(slot: number): Promise<DigestReport | undefined> {
    const raw = await this.deps.redis.get(this.deps.keys.digestReport(slot));
    return raw == null ? undefined : (JSON.parse(raw) as DigestReport);
  }

  /** One `digest` notification per digest receiver, with ids fixed by the slot. */
  notifications(report: DigestReport, slot: number, now: number): Notification[] {
    return this.cfg.receivers.map((receiver) => ({
      id: `digest.${slot}.${receiver}`,
      receiver,
      kind: 'digest',
      alerts: [],
      digest: report,
      thread: `digest.${slot}`,
      createdAt: now,
    }));
  }

  /**
   * Sends the digest of the latest slot at or before `now`, unless that slot was handled. Returns
   * the slot sent, or undefined.
   */
  async runDue(now: number): Promise<number | undefined> {
    const { redis, keys } = this.deps;
    const slot = slotAtOrBefore(this.cfg.schedule, this.cfg.time_zone, now);
    if (slot === undefined || this.cfg.receivers.length === 0) return undefined;
    const last = await redis.get(keys.digestLast());
    if (last !== null && Number(last) >= slot) return undefined;
    const late = now - slot > this.cfg.late_after;
    const report = await this.report(windowEndingAt(slot, this.cfg.lookback), {
      generatedAt: now,
      ...(late ? { lateFrom: slot } : {}),
    });
    await this.deps.deliver(this.notifications(report, slot, now));
    await redis
      .multi()
      .set(keys.digestReport(slot), JSON.stringify(report), 'PX', this.cfg.retention)
      .eval(RAISE_LUA, 1, keys.digestLast(), slot)
      .exec();
    this.deps.logger.info(
      { slot: new Date(slot).toISOString(), late, receivers: this.cfg.receivers },
      'digest queued for delivery',
    );
    return slot;
  }

  /**
   * Schedules the digest on `queue` (one BullMQ job scheduler, however many processes start it)
   * and catches up a slot missed while no worker ran. On the very first start nothing was missed:
   * the latest slot only marks where the schedule begins.
   */
  async start(queue: Queue): Promise<void> {
    const { redis, keys } = this.deps;
    if (this.cfg.receivers.length === 0) {
      await queue.removeJobScheduler('digest');
      return;
    }
    await queue.upsertJobScheduler(
      'digest',
      { pattern: this.cfg.schedule, tz: this.cfg.time_zone },
      { name: 'digest', opts: { ...JOB_OPTS, removeOnFail: 100 } },
    );
    const slot = slotAtOrBefore(this.cfg.schedule, this.cfg.time_zone, this.deps.clock());
    if (slot === undefined) return;
    if ((await redis.set(keys.digestLast(), String(slot), 'NX')) === 'OK') return;
    if (Number(await redis.get(keys.digestLast())) < slot)
      await queue.add(
        'digest',
        {},
        { ...JOB_OPTS, jobId: `catchup.${slot}`, removeOnFail: { age: 7 * 86_400 } },
      );
  }
}

/** A digest asked for a date on which the schedule has no time. */
export class NoDigestSlot extends Error {
  constructor(schedule: string, date: string, timeZone: string) {
    super(`digest.schedule (${schedule}) has no time on ${date} in ${timeZone}`);
    this.name = 'NoDigestSlot';
  }
}
