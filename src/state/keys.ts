import { createHash } from 'node:crypto';

/**
 * Every Redis key Klaxon writes. A shard is an ordered lane of sources: all keys of one shard
 * share one hash tag (`{s<N>}`), so a Redis Cluster keeps them in one slot and one Lua script can
 * change them atomically. Every other key (delivery, silences, digest, groups) shares the tag
 * `{g}`: the transactions and scripts of delivery and grouping mix them. The same names serve a
 * single Redis and a cluster.
 */
/** Sources whose lane a Keys instance remembers, at most. */
const SHARD_CACHE_MAX = 100_000;

export class Keys {
  private readonly shardCache = new Map<string, number>();

  constructor(
    readonly prefix: string,
    readonly shards: number,
  ) {}

  /** The lane a source's inputs go through. Stable for a given number of shards. */
  shardOf(source: string): number {
    let shard = this.shardCache.get(source);
    if (shard === undefined) {
      shard = createHash('md5').update(source).digest().readUInt32BE(0) % this.shards;
      // Sources are few and come back with every input: remember them (a bounded memory).
      if (this.shardCache.size >= SHARD_CACHE_MAX) this.shardCache.clear();
      this.shardCache.set(source, shard);
    }
    return shard;
  }

  private tag(shard: number): string {
    return `${this.prefix}:{s${shard}}`;
  }

  /** The keys that belong to no lane: one slot on a cluster, so that MULTI and scripts may mix them. */
  private global(): string {
    return `${this.prefix}:{g}`;
  }

  /** Rule and detector states of the shard: hash of state key -> JSON. */
  ruleStates(shard: number): string {
    return `${this.tag(shard)}:rules`;
  }
  /** Rule timers: sorted set of state key by due time. */
  ruleTimers(shard: number): string {
    return `${this.tag(shard)}:rule-timers`;
  }
  /** Rule states by when their source last sent an input for them (ms): sorted set, for eviction. */
  seriesSeen(shard: number): string {
    return `${this.tag(shard)}:series-seen`;
  }
  /** The shard's sources by their last input (ms): sorted set, for eviction and the source cap. */
  sourcesSeen(shard: number): string {
    return `${this.tag(shard)}:sources`;
  }
  /** One source's rule states by last seen (ms): sorted set, for the series cap and eviction. */
  sourceSeries(shard: number, source: string): string {
    return `${this.tag(shard)}:series:${source}`;
  }
  /** Alerts of the shard: hash of fingerprint -> JSON. */
  alerts(shard: number): string {
    return `${this.tag(shard)}:alerts`;
  }
  /** Alert timers (reminders, expiry, flapping end, forgetting): sorted set of fingerprint by due time. */
  alertTimers(shard: number): string {
    return `${this.tag(shard)}:alert-timers`;
  }
  /** Bumped by every commit: a writer that read an older version must start over. */
  version(shard: number): string {
    return `${this.tag(shard)}:version`;
  }
  /** The shard's alerts by last change (ms): a sorted set of fingerprints, for listing pages. */
  alertIndex(shard: number): string {
    return `${this.tag(shard)}:alert-index`;
  }
  /** One alert's transitions and notifications, newest first (a capped list). */
  alertLog(shard: number, fp: string): string {
    return `${this.tag(shard)}:log:${fp}`;
  }
  /** A sender's idempotency key, kept for the dedup window: the input was evaluated. */
  inputId(shard: number, source: string, id: string): string {
    return `${this.tag(shard)}:id:${source}:${id}`;
  }
  /** The shard's firing alerts that may inhibit others (hash fingerprint -> JSON). */
  inhibitors(shard: number): string {
    return `${this.tag(shard)}:inhibitors`;
  }
  /** Marks an ingest job as applied, holding the notifications it produced. */
  done(shard: number, jobId: string): string {
    return `${this.tag(shard)}:done:${jobId}`;
  }
  /**
   * What the digest reads of a source's UTC day (see src/digest/record.ts): `m` points and
   * counts, `trades`, `alerts`, `meta`.
   */
  record(shard: number, day: string, source: string, part: 'm' | 'trades' | 'alerts' | 'meta'): string {
    return `${this.tag(shard)}:rec:${day}:${source}:${part}`;
  }
  /** The sources of the shard that recorded anything on a UTC day. */
  recordSources(shard: number, day: string): string {
    return `${this.tag(shard)}:rec:${day}:sources`;
  }
  /** Deliveries per receiver, result and minute of a UTC day (hash `<receiver>|<result>|<minute>`). */
  deliveryRecord(day: string): string {
    return `${this.global()}:rec:${day}:deliveries`;
  }
  /** The latest digest slot handled (ms): a slot after it that has passed was missed. */
  digestLast(): string {
    return `${this.global()}:digest-last`;
  }
  /** The report a digest slot sent (JSON), for the page its link opens. */
  digestReport(slot: number): string {
    return `${this.global()}:digest-report:${slot}`;
  }
  /** A console login (hash of its cookie's value) → its session JSON, expiring with it. */
  session(idHash: string): string {
    return `${this.global()}:session:${idHash}`;
  }
  silences(): string {
    return `${this.global()}:silences`;
  }
  /** Notifications that exhausted their retries, newest first. */
  deadLetters(): string {
    return `${this.global()}:dead-letters`;
  }
  /**
   * Marks a notification as finished (`sent`, or `dead` when it was dead-lettered): a job run
   * again after a crash does not send it twice, and the next one of its thread may go.
   */
  /**
   * Who is sending a notification now (the job's id), while the send lasts: the same
   * notification in two jobs (a batch and a job of its own, two batches of group flushes) is
   * sent by one of them only.
   */
  claim(notificationId: string): string {
    return `${this.global()}:claim:${notificationId}`;
  }
  sent(notificationId: string): string {
    return `${this.global()}:sent:${notificationId}`;
  }
  /**
   * Notifications of a receiver travelling in a batch job: hash of notification id -> the batch's
   * job id, so that the next one of a thread can tell that its predecessor is still on its way.
   */
  deliveryPending(receiver: string): string {
    return `${this.global()}:pending:${receiver}`;
  }
  /** The message that started a thread at a receiver (and target): a MessageRef as JSON. */
  messageRef(receiver: string, target: string | undefined, thread: string): string {
    return `${this.global()}:ref:${receiver}:${target ?? '-'}:${thread}`;
  }
  /** Notifications a rate limit held back, waiting for the next summary. */
  overflow(receiver: string, target?: string): string {
    return `${this.global()}:overflow:${receiver}${target === undefined ? '' : `:${target}`}`;
  }
  rateWindow(scope: string, windowStart: number): string {
    return `${this.global()}:rate:${scope}:${windowStart}`;
  }
  /** Last delivery success and failure per receiver (for /health). */
  receiverStatus(): string {
    return `${this.global()}:receiver-status`;
  }
  /**
   * What the last scrape of a `scrape:` target read (JSON `{ts, values}`): the counter values its
   * next scrape turns into rates, increases and events (src/scrape/scraper.ts). Expires.
   */
  scrapeMemory(target: string): string {
    return `${this.global()}:scrape:${target}`;
  }

  // Grouping (src/grouping): one group per receiver and group key, named by a hash of that key.
  /** A group at a receiver: hash of `v` (version), `meta` (JSON), `m:<fp>` members, `g:<fp>` members gone. */
  group(receiver: string, hash: string): string {
    return `${this.global()}:group:${receiver}:${hash}`;
  }
  /**
   * What a join that flushed the group at once produced (`join` names the notifications that
   * joined), so that the job that joined them, run again, delivers the same message.
   */
  groupJoin(receiver: string, hash: string, join: string): string {
    return `${this.group(receiver, hash)}:join:${join}`;
  }
  /** What flush `seq` of a group produced, so that a flush run again sends the same message. */
  groupFlush(receiver: string, hash: string, seq: number): string {
    return `${this.group(receiver, hash)}:flush:${seq}`;
  }
}

/**
 * BullMQ queue names (no `:` allowed). BullMQ's keys are `<prefix>:<name>:<suffix>`, and a queue's
 * scripts touch several of them: each name carries a hash tag, so a queue lives in one cluster
 * slot. An ingest lane's queue shares its lane's tag (`{s<N>}`), so the lane's jobs and state sit
 * on one node; the other queues each have a tag of their own and spread over the nodes.
 */
export const queueNames = {
  ingest: (shard: number) => `ingest-{s${shard}}`,
  deliver: (receiver: string) => `{deliver-${receiver}}`,
  scheduler: '{scheduler}',
  digest: '{digest}',
  /** Parents of multi-lane flows (single Redis only: a flow cannot span a cluster's nodes). */
  receipts: '{receipts}',
  /** Scrapes of the `scrape:` targets: one job scheduler per target (src/scrape/scheduler.ts). */
  scrape: '{scrape}',
};
