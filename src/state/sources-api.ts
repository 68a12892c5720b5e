/**
 * The bots as the web console shows them, read from what the lanes keep anyway: each lane's
 * sources by last input (`Keys.sourcesSeen`), and the digest's records of the day (`Keys.record`:
 * the `m` hash's latest input times and points a minute). Nothing here is written.
 */
import type { Redis } from 'ioredis';
import type { SourceSummary, SourcesApi } from '../ingest/ui-api.js';
import { utcDay } from '../model/clock.js';
import { RECORDED_SERIES } from '../digest/record.js';
import type { RedisAlertApi } from './alert-api.js';
import type { Keys } from './keys.js';
import { crossSlotPipeline } from './redis-connect.js';
import { unwrap } from './redis-errors.js';

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Pages of firing alerts read to count them per source (1,000 each). */
const MAX_FIRING_PAGES = 10;

export class RedisSourcesApi implements SourcesApi {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    /** Counts the firing alerts of each source. */
    private readonly alerts: Pick<RedisAlertApi, 'firingBySource'>,
    private readonly clock: () => number,
  ) {}

  async list(): Promise<SourceSummary[]> {
    const shards = Array.from({ length: this.keys.shards }, (_, s) => s);
    const pipe = crossSlotPipeline(this.redis);
    for (const s of shards) pipe.zrange(this.keys.sourcesSeen(s), '0', '-1', 'WITHSCORES');
    const res = (await pipe.exec()) ?? [];
    const found: { shard: number; source: string; at: number }[] = [];
    shards.forEach((s, i) => {
      const flat = unwrap<string[]>(res[i]);
      for (let j = 0; j < flat.length; j += 2)
        found.push({ shard: s, source: flat[j] as string, at: Number(flat[j + 1]) });
    });
    const now = this.clock();
    const days = [utcDay(now), utcDay(now - DAY)];
    const fields = ['last|snapshot', 'last|heartbeat', ...RECORDED_SERIES.map((m) => `last|p|${m}`)];
    const reads = crossSlotPipeline(this.redis);
    for (const f of found)
      for (const day of days) reads.hmget(this.keys.record(f.shard, day, f.source, 'm'), ...fields);
    const [lasts, firing] = await Promise.all([reads.exec(), this.alerts.firingBySource(MAX_FIRING_PAGES)]);
    return found
      .map((f, i) => {
        const out: SourceSummary = {
          source: f.source,
          lastInputAt: f.at,
          firing: firing.get(f.source) ?? 0,
          series: [],
        };
        const today = unwrap<(string | null)[]>(lasts?.[i * 2]);
        const yesterday = unwrap<(string | null)[]>(lasts?.[i * 2 + 1]);
        const at = (j: number) => Number(today[j] ?? yesterday[j] ?? 0);
        if (at(0) > 0) out.lastSnapshotAt = at(0);
        if (at(1) > 0) out.lastHeartbeatAt = at(1);
        out.series = RECORDED_SERIES.filter((_, j) => at(j + 2) > 0);
        return out;
      })
      .sort((a, b) => a.source.localeCompare(b.source));
  }

  async series(source: string, metric: string, hours: number): Promise<[number, number][]> {
    const now = this.clock();
    const shard = this.keys.shardOf(source);
    const end = Math.floor(now / MINUTE) * MINUTE;
    const start = end - hours * 3_600_000 + MINUTE;
    // One HMGET per UTC day the window spans, of the minutes it covers.
    const pipe = crossSlotPipeline(this.redis);
    const asked: number[][] = [];
    for (let dayStart = Math.floor(start / DAY) * DAY; dayStart <= end; dayStart += DAY) {
      const times: number[] = [];
      const fields: string[] = [];
      for (let t = Math.max(start, dayStart); t <= end && t < dayStart + DAY; t += MINUTE) {
        const minute = (t - dayStart) / MINUTE;
        times.push(t);
        fields.push(metric === 'heartbeats' ? `hb|${minute}` : `p|${metric}|${minute}`);
      }
      asked.push(times);
      pipe.hmget(this.keys.record(shard, utcDay(dayStart), source, 'm'), ...fields);
    }
    const res = (await pipe.exec()) ?? [];
    const points: [number, number][] = [];
    asked.forEach((times, i) => {
      const values = unwrap<(string | null)[]>(res[i]);
      times.forEach((t, j) => {
        const v = values[j];
        if (v != null) points.push([t, Number(v)]);
      });
    });
    return points;
  }
}
