import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import type {
  AckResult,
  AlertApi,
  AlertHistory,
  AlertPage,
  AlertQuery,
  Acknowledgement,
  ListedAlert,
  Silence,
  SilenceInput,
} from '../ingest/alert-api.js';
import type { AckInput } from '../model/batch.js';
import type { Alert } from '../model/alert.js';
import type { HistoryEntry } from '../model/history.js';
import { targetId } from '../model/notification.js';
import { silencesAt } from '../routing/silences.js';
import { INDEX_PAGE_LUA } from './alert-index-lua.js';
import {
  decodeCursor,
  encodeCursor,
  entriesOfReply,
  matchesQuery,
  mergeShardRanges,
  type IndexEntry,
  type IndexPosition,
} from './alert-pages.js';
import type { Keys } from './keys.js';
import { crossSlotPipeline } from './redis-connect.js';
import { unwrap } from './redis-errors.js';

/**
 * Rounds of index reads one page may take when filters skip alerts; then the page ends short,
 * with a cursor, so that one request never walks every shard.
 */
export const MAX_PAGE_ROUNDS = 4;

/** What the read side adds to the stored alerts and logs. */
export interface AlertApiOptions {
  /** The targets a receiver sends to one by one (a Telegram receiver's chats), for delivery results. */
  targetsOf?: (receiver: string) => readonly (string | undefined)[];
  /** The config file's silences (`silences:`), beside the API's, for `silencedBy`. */
  configSilences?: readonly Silence[];
}

/** The admin API on Redis: alerts of every shard, acknowledgements and silences. */
export class RedisAlertApi implements AlertApi {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly clock: () => number,
    /** Queues acknowledgements as an input of a lane (Queues.enqueueAcks). */
    private readonly submitAcks: (shard: number, acks: AckInput[]) => Promise<void>,
    private readonly opts: AlertApiOptions = {},
  ) {
    redis.defineCommand('klaxonIndexPage', { numberOfKeys: 1, lua: INDEX_PAGE_LUA });
  }

  async listAlerts(q: AlertQuery): Promise<AlertPage> {
    const page = await this.pageOf(q);
    await this.markSilenced(page.alerts);
    return page;
  }

  private async pageOf(q: AlertQuery): Promise<AlertPage> {
    const shards =
      q.source !== undefined
        ? [this.keys.shardOf(q.source)]
        : Array.from({ length: this.keys.shards }, (_, s) => s);
    let pos: IndexPosition | undefined;
    if (q.cursor !== undefined) {
      pos = decodeCursor(q.cursor);
      if (!pos) throw new Error('not a cursor of this listing');
    }
    const alerts: Alert[] = [];
    // Each round reads a page's worth (and one more) from each shard's index after `pos`, keeps
    // the first ones of the merged order, and fetches those alerts; filters may leave the page
    // short, so a few more rounds may follow. After the last round the page ends short, with a
    // cursor.
    for (let round = 0; round < MAX_PAGE_ROUNDS; round++) {
      const ranges = await this.readIndex(shards, pos, q.limit + 1);
      const { entries, more } = mergeShardRanges(ranges, q.limit);
      const found = await this.readAlerts(entries);
      for (let i = 0; i < entries.length; i++) {
        const e = entries[i] as IndexEntry;
        pos = e;
        const a = found.get(e.fp);
        if (!a || !matchesQuery(a, q)) continue;
        alerts.push(a);
        if (alerts.length === q.limit) {
          const after = more || i < entries.length - 1;
          return after ? { alerts, next: encodeCursor(e) } : { alerts };
        }
      }
      if (!more || !pos) return { alerts };
    }
    return pos ? { alerts, next: encodeCursor(pos) } : { alerts };
  }

  /**
   * How many alerts fire now, by their `source` label (`''` without one): the pages of firing
   * alerts, read as `listAlerts` reads them but without matching silences, which counts do not
   * need. Reads at most `maxPages` pages of 1000.
   */
  async firingBySource(maxPages: number): Promise<Map<string, number>> {
    const out = new Map<string, number>();
    let cursor: string | undefined;
    for (let page = 0; page < maxPages; page++) {
      const res = await this.pageOf({ status: 'firing', limit: 1000, ...(cursor ? { cursor } : {}) });
      for (const a of res.alerts) {
        const s = a.labels.source ?? '';
        out.set(s, (out.get(s) ?? 0) + 1);
      }
      if (res.next === undefined) break;
      cursor = res.next;
    }
    return out;
  }

  /** Up to `n` entries of each shard's index after `pos` (from the newest without one). */
  private async readIndex(
    shards: readonly number[],
    pos: IndexPosition | undefined,
    n: number,
  ): Promise<IndexEntry[][]> {
    const pipe = crossSlotPipeline(this.redis);
    const paged = pipe as unknown as {
      klaxonIndexPage(key: string, score: string, fp: string, n: number): unknown;
    };
    for (const s of shards)
      paged.klaxonIndexPage(this.keys.alertIndex(s), pos ? String(pos.score) : '', pos?.fp ?? '', n);
    const res = (await pipe.exec()) ?? [];
    return shards.map((s, i) => entriesOfReply(s, unwrap<string[]>(res[i])));
  }

  /** The alerts of index entries, by fingerprint (an alert forgotten meanwhile is absent). */
  private async readAlerts(entries: readonly IndexEntry[]): Promise<Map<string, Alert>> {
    const out = new Map<string, Alert>();
    const byShard = new Map<number, string[]>();
    for (const e of entries) {
      const fps = byShard.get(e.shard);
      if (fps) fps.push(e.fp);
      else byShard.set(e.shard, [e.fp]);
    }
    if (byShard.size === 0) return out;
    const pipe = crossSlotPipeline(this.redis);
    for (const [s, fps] of byShard) pipe.hmget(this.keys.alerts(s), ...fps);
    const res = (await pipe.exec()) ?? [];
    [...byShard.values()].forEach((fps, i) => {
      const values = unwrap<(string | null)[]>(res[i]);
      fps.forEach((fp, j) => {
        const v = values[j];
        if (v != null) out.set(fp, JSON.parse(v) as Alert);
      });
    });
    return out;
  }

  async getAlert(fp: string): Promise<ListedAlert | undefined> {
    const alert = await this.findAlert(fp);
    if (alert) await this.markSilenced([alert]);
    return alert;
  }

  private async findAlert(fp: string): Promise<Alert | undefined> {
    const pipe = crossSlotPipeline(this.redis);
    for (let s = 0; s < this.keys.shards; s++) pipe.hget(this.keys.alerts(s), fp);
    const res = (await pipe.exec()) ?? [];
    for (const r of res) {
      const raw = unwrap<string | null>(r);
      if (raw != null) return JSON.parse(raw) as Alert;
    }
    return undefined;
  }

  /**
   * The alert and its log, in one round trip over every shard: the log outlives the alert for a
   * while, so it is looked for even where the alert is gone.
   */
  async alertHistory(fp: string): Promise<AlertHistory | undefined> {
    const pipe = crossSlotPipeline(this.redis);
    for (let s = 0; s < this.keys.shards; s++)
      pipe.hget(this.keys.alerts(s), fp).lrange(this.keys.alertLog(s, fp), 0, -1);
    const res = (await pipe.exec()) ?? [];
    let alert: Alert | undefined;
    const history: HistoryEntry[] = [];
    for (let s = 0; s < this.keys.shards; s++) {
      const raw = unwrap<string | null>(res[2 * s]);
      if (raw != null && !alert) alert = JSON.parse(raw) as Alert;
      for (const line of unwrap<string[]>(res[2 * s + 1])) history.push(JSON.parse(line) as HistoryEntry);
    }
    if (!alert && history.length === 0) return undefined;
    // Newest first, as each log is kept (a fingerprint lives in one shard, so this is one log).
    history.sort((a, b) => b.t - a.t);
    await this.readDeliveries(history);
    if (!alert) return { history };
    await this.markSilenced([alert]);
    return { alert, history };
  }

  /** Sets `silencedBy` on the alerts that silences hold now (the API's and the config's). */
  private async markSilenced(alerts: ListedAlert[]): Promise<void> {
    if (alerts.length === 0) return;
    const silences = [...(this.opts.configSilences ?? []), ...(await this.activeSilences())];
    if (silences.length === 0) return;
    const holding = silencesAt(silences, this.clock());
    for (const a of alerts) {
      if (a.status === 'resolved') continue;
      const ids = holding(a).map((x) => x.id);
      if (ids.length > 0) a.silencedBy = ids;
    }
  }

  /** Sets `delivery` on the notifications of a history from their sent markers (one MGET). */
  private async readDeliveries(history: HistoryEntry[]): Promise<void> {
    const told = history.filter((e) => e.type === 'notification' && e.id !== undefined && e.receiver);
    const targetsOf = this.opts.targetsOf ?? (() => [undefined]);
    const ids = told.map((e) => targetsOf(e.receiver as string).map((t) => targetId(e.id as string, t)));
    const flat = ids.flat();
    if (flat.length === 0) return;
    const markers = await this.redis.mget(...flat.map((id) => this.keys.sent(id)));
    let i = 0;
    told.forEach((e, j) => {
      const mine = markers.slice(i, (i += (ids[j] as string[]).length));
      e.delivery = mine.includes('dead') ? 'dead' : mine.every((m) => m === 'sent') ? 'sent' : 'pending';
    });
  }

  /**
   * Acknowledging is an input like any other: it goes to the alert's lane, where the life cycle
   * stops reminders and escalation, records it, and tells the receivers that were told it fires.
   */
  async acknowledge(fp: string, ack: Acknowledgement): Promise<AckResult> {
    const alert = await this.findAlert(fp);
    if (!alert) return { outcome: 'unknown' };
    if (alert.status === 'resolved') return { outcome: 'not-firing', alert };
    const input: AckInput = { fingerprint: fp, by: ack.by, at: ack.at };
    if (ack.comment) input.comment = ack.comment;
    if (ack.until !== undefined) input.until = ack.until;
    if (ack.via) input.via = ack.via;
    await this.submitAcks(this.keys.shardOf(alert.labels.source ?? ''), [input]);
    return { outcome: 'accepted', alert };
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
}
