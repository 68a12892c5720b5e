/**
 * Web console logins on Redis. The cookie holds a random id (32 bytes); Redis keeps only its
 * SHA-256, so a copy of Redis gives nobody a usable cookie. A session ends at its TTL or at
 * logout, whichever comes first.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { Session, SessionStore } from '../ingest/ui-api.js';
import type { Keys } from './keys.js';

const hashOf = (id: string): string => createHash('sha256').update(id, 'utf8').digest('hex');

export class RedisSessionStore implements SessionStore {
  constructor(
    private readonly redis: Redis,
    private readonly keys: Keys,
    private readonly ttlMs: number,
  ) {}

  async create(name: string): Promise<{ id: string; session: Session }> {
    const id = randomBytes(32).toString('base64url');
    const session: Session = { name, csrf: randomBytes(24).toString('base64url') };
    await this.redis.set(this.keys.session(hashOf(id)), JSON.stringify(session), 'PX', this.ttlMs);
    return { id, session };
  }

  async get(id: string): Promise<Session | undefined> {
    const raw = await this.redis.get(this.keys.session(hashOf(id)));
    return raw === null ? undefined : (JSON.parse(raw) as Session);
  }

  async delete(id: string): Promise<void> {
    await this.redis.del(this.keys.session(hashOf(id)));
  }
}
