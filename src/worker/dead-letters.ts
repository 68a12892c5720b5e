/**
 * The dead-letter list as the console reads and empties it: notifications that exhausted their
 * retries or were refused for good, newest first (written by DeliveryStore.deadLetter).
 */
import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { KlaxonConfig } from '../config/schema.js';
import type { DeadLetterApi } from '../ingest/ui-api.js';
import type { Keys } from '../state/keys.js';
import type { DeadLetter } from '../model/notification.js';
import { deliveryJobOptions } from './queues.js';

export class RedisDeadLetters implements DeadLetterApi {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly deliver: ReadonlyMap<string, Queue>,
    private readonly delivery: KlaxonConfig['queue']['delivery'],
    private readonly clock: () => number,
  ) {}

  async list(limit: number): Promise<{ count: number; deadLetters: DeadLetter[] }> {
    const [count, raw] = await Promise.all([
      this.redis.llen(this.keys.deadLetters()),
      this.redis.lrange(this.keys.deadLetters(), 0, limit - 1),
    ]);
    return { count, deadLetters: raw.map((r) => JSON.parse(r) as DeadLetter) };
  }

  /**
   * The order keeps the letter until its notification is queued again: the dead marker goes
   * first (a job that found it would skip the send), then the job is added, then the letter is
   * taken off the list. A crash in between leaves the letter listed, never lost; a second retry
   * of it adds a job that finds the first one's sent marker and sends nothing.
   */
  async retry(id: string): Promise<'retried' | 'unknown' | 'no-receiver' | 'partial'> {
    const list = this.keys.deadLetters();
    const raw = (await this.redis.lrange(list, 0, -1)).find(
      (r) => (JSON.parse(r) as DeadLetter).notification.id === id,
    );
    if (raw === undefined) return 'unknown';
    const letter = JSON.parse(raw) as DeadLetter;
    if (letter.target !== undefined) return 'partial';
    const q = this.deliver.get(letter.receiver);
    if (!q) return 'no-receiver';
    const n = letter.notification;
    const sent = this.keys.sent(n.id);
    if ((await this.redis.get(sent)) === 'dead') await this.redis.del(sent);
    await q.add(n.kind, n, deliveryJobOptions(this.delivery, `${n.id}.retry.${this.clock()}`));
    await this.redis.lrem(list, 1, raw);
    return 'retried';
  }
}
