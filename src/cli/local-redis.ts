/**
 * Starting without a Redis: whether the configured one answers, what to tell a person when it
 * does not, and `--local-redis`, a `redis-server` child that keeps its data (AOF) under
 * `var/redis/` and stops with the process.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import path from 'node:path';
import type { KlaxonConfig } from '../config/schema.js';
import { connectRedis, redisWhere } from '../state/redis-connect.js';

/** How long a probe waits for Redis to answer a PING. */
const PROBE_MS = 1500;
/** How long a started `redis-server` gets to answer. */
const START_MS = 10_000;

/** Whether the Redis of `redis.url` answers a PING now (a cluster is not probed: true). */
export async function redisAnswers(redis: KlaxonConfig['redis'], ms = PROBE_MS): Promise<boolean> {
  if (redis.cluster) return true;
  const client = connectRedis(redis, {
    lazyConnect: true,
    connectTimeout: ms,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return true;
  } catch (err) {
    // A Redis that asks for a password, or still loads its data, is there too.
    return /NOAUTH|WRONGPASS|LOADING/.test((err as Error).message);
  } finally {
    client.disconnect();
  }
}

/** The `redis-server` on PATH, if there is one. */
export function redisServerOnPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(path.delimiter)) {
    if (dir === '') continue;
    const file = path.join(dir, 'redis-server');
    try {
      accessSync(file, constants.X_OK);
      return file;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** What a person reads when no Redis answers: why Klaxon waits, and three ways to get one. */
export function noRedisMessage(redis: KlaxonConfig['redis'], role: string, redisServer?: string): string {
  const where = redisWhere(redis);
  const local = redisServer
    ? `\n\nOr let Klaxon run one for you (${redisServer}, data kept under var/redis/):\n` +
      `    npm start -- --local-redis        (or: klaxon ${role} --local-redis)`
    : '';
  return (
    `No Redis answers at ${where}. Klaxon keeps its queues and every alert's state in Redis, so it ` +
    `waits until one answers (set REDIS_URL, or redis.url in the config, if yours is elsewhere). ` +
    `Three ways to get one:\n` +
    `    sudo apt-get install redis-server      (Debian/Ubuntu; macOS: brew install redis && brew services start redis)\n` +
    `    docker run -d --name klaxon-redis -p 6379:6379 redis:7 redis-server --appendonly yes\n` +
    `    docker compose up -d redis             (the docker-compose.yml in this folder)` +
    local +
    '\n'
  );
}

/** A `redis-server` run by Klaxon for `--local-redis`. */
export interface LocalRedis {
  readonly url: string;
  stop(): Promise<void>;
}

/**
 * Runs `redis-server` on the host and port of `redis.url` (which must be this machine), with
 * append-only persistence in `dir`, and waits until it answers. Its output is dropped; its end
 * before `stop()` is reported through `onExit`.
 */
export async function startLocalRedis(
  redis: KlaxonConfig['redis'],
  opts: { dir: string; binary: string; onExit?: (code: number | null) => void },
): Promise<LocalRedis> {
  if (redis.cluster) throw new Error('--local-redis runs one Redis, not a cluster: remove redis.cluster');
  const url = new URL(redis.url);
  const host = url.hostname || '127.0.0.1';
  if (!['127.0.0.1', 'localhost', '::1', '[::1]'].includes(host))
    throw new Error(`--local-redis runs Redis on this machine, but redis.url points at ${host}`);
  if (url.protocol === 'rediss:') throw new Error('--local-redis runs Redis without TLS: use a redis:// URL');
  const port = url.port || '6379';
  mkdirSync(opts.dir, { recursive: true });
  const args = [
    '--bind',
    host === 'localhost' ? '127.0.0.1' : host.replace(/^\[|\]$/g, ''),
    '--port',
    port,
    '--dir',
    opts.dir,
    '--appendonly',
    'yes',
    '--appendfsync',
    'everysec',
    '--save',
    '',
    '--daemonize',
    'no',
  ];
  if (url.password) args.push('--requirepass', decodeURIComponent(url.password));
  const child: ChildProcess = spawn(opts.binary, args, { stdio: 'ignore' });
  let stopping = false;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  void exited.then((code) => {
    if (!stopping) opts.onExit?.(code);
  });
  const deadline = Date.now() + START_MS;
  while (!(await redisAnswers(redis, 500))) {
    if (child.exitCode !== null || Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(
        `redis-server did not start on ${host}:${port} (is the port taken, or ${opts.dir} not writable?)`,
      );
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    url: redis.url,
    stop: async () => {
      stopping = true;
      if (child.exitCode !== null) return;
      // SIGTERM: Redis flushes its AOF and exits.
      child.kill('SIGTERM');
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}
