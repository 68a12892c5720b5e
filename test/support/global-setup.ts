import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { writeLocalhostCert } from './tls.js';

/**
 * Runs once before the test processes start: fails the run early, with a clear message, when
 * the Redis the tests use does not answer, and makes the certificate of the local TLS servers
 * (see tls.ts). Test processes are forked after this, so they inherit NODE_EXTRA_CA_CERTS.
 */
export default async function setup(): Promise<() => void> {
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

  const dir = mkdtempSync(path.join(tmpdir(), 'klaxon-test-tls-'));
  const cert = await writeLocalhostCert(dir);
  process.env.KLAXON_TEST_TLS_DIR = dir;
  process.env.NODE_EXTRA_CA_CERTS = cert;
  return () => rmSync(dir, { recursive: true, force: true });
}
