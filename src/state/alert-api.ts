import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { AlertApi, Acknowledgement, Silence, SilenceInput } from '../ingest/alert-api.js';
import type { Alert } from '../model/alert.js';
import type { Keys } from './keys.js';

/** Sets one alert only if the shard's version is still the one read (see the commit script). */
const SET_ALERT_LUA = `
if tonumber(redis.call('GET', KEYS[1]) or '0') ~= tonumber(ARGV[1]) then return -1 end
redis.call('HSET', KEYS[2], ARGV[2], ARGV[3])
return redis.call('INCR', KEYS[1])
`;

/** The admin API on Redis: alerts of every shard, acknowledgements and silences. */
export class RedisAlertApi implements AlertApi {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly clock: () => number,
  ) {
    redis.defineCommand('klaxonSetAlert', { numberOfKeys: 2, lua: SET_ALERT_LUA });
  }

  async listAlerts(filter: { status?: Alert['status'] }): Promise<Alert[]> {
    const pipe = this.redis.pipeline();
    for (let s = 0; s < this.keys.shards; s++) pipe.hvals(this.keys.alerts(s));
    const res = (await pipe.exec()) ?? [];
    const alerts = res.flatMap(([err, vals]) => {
      if (err) throw err;
      return (vals as string[]).map((v) => JSON.parse(v) as Alert);
    });
    return alerts
      .filter((a) => (filter.status ? a.status === filter.status : true))
      .sort((a, b) => b.lastSeenAt - a.lastSeenAt);
  }

  /** Acknowledging stops reminders and escalations of the alert; its resolve is still told. */
  async getAlert(fp: string): Promise<Alert | undefined> {
    const shard = await this.shardOf(fp);
    if (shard === undefined) return undefined;
    const raw = await this.redis.hget(this.keys.alerts(shard), fp);
    return raw ? (JSON.parse(raw) as Alert) : undefined;
  }

  async acknowledge(fp: string, ack: Acknowledgement): Promise<Alert | undefined> {
    const shard = await this.shardOf(fp);
    if (shard === undefined) return undefined;
    for (let attempt = 0; attempt < 50; attempt++) {
      const [[verErr, version], [rawErr, raw]] = (await this.redis
        .multi()
        .get(this.keys.version(shard))
        .hget(this.keys.alerts(shard), fp)
        .exec()) as [[Error | null, string | null], [Error | null, string | null]];
      if (verErr ?? rawErr) throw verErr ?? rawErr;
      if (raw == null) return undefined;
      const alert = JSON.parse(raw) as Alert;
      alert.acknowledged = { by: ack.by, at: ack.at, ...(ack.comment ? { comment: ack.comment } : {}) };
      alert.version += 1;
      const res = await (
        this.redis as unknown as { klaxonSetAlert(...a: (string | number)[]): Promise<number> }
      ).klaxonSetAlert(
        this.keys.version(shard),
        this.keys.alerts(shard),
        Number(version ?? 0),
        fp,
        JSON.stringify(alert),
      );
      if (res !== -1) return alert;
    }
    throw new Error('the alert kept changing; try again');
  }

  async listSilences(): Promise<Silence[]> {
    const now = this.clock();
    const all = (await this.redis.hvals(this.keys.silences())).map((v) => JSON.parse(v) as Silence);
    const expired = all.filter((s) => s.endsAt <= now);
    if (expired.length > 0) await this.redis.hdel(this.keys.silences(), ...expired.map((s) => s.id));
    return all.filter((s) => s.endsAt > now).sort((a, b) => a.endsAt - b.endsAt);
  }

  /**
   * Silences for the worker. Read afresh each time (only evaluations that produced signals ask),
   * so a silence created through any API process holds at once.
   */
  async activeSilences(): Promise<Silence[]> {
    return (await this.redis.hvals(this.keys.silences())).map((v) => JSON.parse(v) as Silence);
  }

  async createSilence(input: SilenceInput): Promise<Silence> {
    const silence: Silence = { ...input, id: randomUUID(), createdAt: this.clock() };
    await this.redis.hset(this.keys.silences(), silence.id, JSON.stringify(silence));
    return silence;
  }

  async deleteSilence(id: string): Promise<boolean> {
    return (await this.redis.hdel(this.keys.silences(), id)) === 1;
  }

  private async shardOf(fp: string): Promise<number | undefined> {
    const pipe = this.redis.pipeline();
    for (let s = 0; s < this.keys.shards; s++) pipe.hexists(this.keys.alerts(s), fp);
    const res = (await pipe.exec()) ?? [];
    // A pipeline reports each command's error in its result: one is an error of the whole read.
    const failed = res.find(([err]) => err);
    if (failed) throw failed[0];
    const i = res.findIndex(([, v]) => v === 1);
    return i === -1 ? undefined : i;
  }
}
