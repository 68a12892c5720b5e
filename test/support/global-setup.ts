import { Redis } from 'ioredis';

/** Fails the run early, with a clear message, when the Redis the tests use does not answer. */
export default async function setup(): Promise<void> {
  const url = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
  const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 1, retryStrategy: () => null });
  try {
    await redis.connect();
    await redis.ping();
  } catch (err) {
    throw new Error(`tests need a Redis at ${url} (set REDIS_URL): ${(err as Error).message}`, {
      cause: err,
    });
  } finally {
    redis.disconnect();
  }
}
