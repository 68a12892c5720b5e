import { existsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

/** What the benchmarks share: option parsing, number formats, the machine line, Redis clean-up. */

/** A numeric command-line option within [min, max]; exits with 2 and says why otherwise. */
export function num(name: string, raw: string | undefined, min: number, max: number): number {
  const n = Number(raw);
  if (!Number.isFinite(n) || n < min || n > max) {
    console.error(`--${name} must be a number from ${min} to ${max}, got ${String(raw)}`);
    process.exit(2);
  }
  return n;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const int = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
export const mb = (bytes: number) =>
  Number.isFinite(bytes) ? `${(bytes / 1024 / 1024).toFixed(0)} MB` : 'n/a';
export const pct = (n: number) => (Number.isFinite(n) ? `${(n * 100).toFixed(0)}%` : 'n/a');

/** `Machine: 2 cores (AMD EPYC …), 24 GB RAM, linux x64, Node v20…, Redis 7.0.15`: printed with every figure. */
export async function machineLine(redis: Redis): Promise<string> {
  const redisVersion = /^redis_version:(\S+)/m.exec(await redis.info('server'))?.[1] ?? '?';
  const cpus = os.cpus();
  return (
    `Machine: ${cpus.length} cores (${cpus[0]?.model.trim() ?? 'unknown CPU'}), ` +
    `${Math.round(os.totalmem() / 2 ** 30)} GB RAM, ${os.platform()} ${os.arch()}, ` +
    `Node ${process.version}, Redis ${redisVersion}`
  );
}

/** Redis CPU seconds and commands processed so far (the whole server: others' too, if shared). */
export async function redisUsage(redis: Redis): Promise<{ cpu: number; commands: number }> {
  const info = await redis.info();
  const f = (k: string) => Number(new RegExp(`^${k}:([\\d.]+)`, 'm').exec(info)?.[1] ?? 0);
  return { cpu: f('used_cpu_user') + f('used_cpu_sys'), commands: f('total_commands_processed') };
}

/** Deletes every key under `prefix` (never anything else); returns how many. */
export async function deleteKeys(redis: Redis, prefix: string): Promise<number> {
  let deleted = 0;
  await scanKeys(redis, prefix, async (keys) => {
    deleted += await redis.unlink(...keys);
  });
  return deleted;
}

/** How many keys are under `prefix`. */
export async function countKeys(redis: Redis, prefix: string): Promise<number> {
  let n = 0;
  await scanKeys(redis, prefix, async (keys) => {
    n += keys.length;
  });
  return n;
}

async function scanKeys(
  redis: Redis,
  prefix: string,
  each: (keys: string[]) => Promise<void>,
): Promise<void> {
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length > 0) await each(keys);
    cursor = next;
  } while (cursor !== '0');
}

/** The repository's root, whether this file runs as TypeScript (bench/) or compiled (dist/bench/). */
export const repoRoot = ((): string => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

/**
 * The script a benchmark forks to run Klaxon or its load: the compiled JavaScript under `dist/`,
 * as `npm start` runs Klaxon (the bench scripts build it first with tsconfig.bench.json), not the
 * TypeScript through tsx, whose compiler would add its own memory and start-up to the figures.
 */
export function compiledChild(script: string): string {
  return path.join(repoRoot, 'dist', 'bench', script.replace(/\.ts$/, '.js'));
}
