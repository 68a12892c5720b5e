import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { writeLocalhostCert } from './tls.js';

/**
 * Runs once before the test processes start: fails the run early, with a clear message, when
 * the Redis the tests use does not answer, and makes the certificate of the local TLS servers
 * (see tls.ts) in the run's own temporary folder. Test processes are forked after this, so they inherit NODE_EXTRA_CA_CERTS.
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

  // Every temporary file of the run (configs, Redis data, certificates, browser profiles) goes
  // under one folder, removed when the run ends: the test processes inherit TMPDIR.
  const root = mkdtempSync(path.join(tmpdir(), 'klaxon-test-'));
  process.env.TMPDIR = root;
  const dir = mkdtempSync(path.join(root, 'tls-'));
  const cert = await writeLocalhostCert(dir);
  process.env.KLAXON_TEST_TLS_DIR = dir;
  process.env.NODE_EXTRA_CA_CERTS = cert;
  return () => rmSync(root, { recursive: true, force: true });
}
