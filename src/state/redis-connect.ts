import { Cluster, Redis, type ChainableCommander, type ClusterOptions, type RedisOptions } from 'ioredis';
import type { KlaxonConfig } from '../config/schema.js';

/**
 * The one place Klaxon opens a Redis connection: a plain `Redis` to `redis.url`, or, when
 * `redis.cluster` lists seed nodes, an ioredis `Cluster`. The Cluster is typed as `Redis`: it
 * takes the same commands, and every key Klaxon uses is hash-tagged (src/state/keys.ts) so that
 * each multi-key command, transaction and script stays in one slot. A pipeline that reads over
 * several lanes goes through `crossSlotPipeline`.
 */
export function connectRedis(redis: KlaxonConfig['redis'], opts: RedisOptions = {}): Redis {
  if (!redis.cluster) return new Redis(redis.url, opts);
  const nodes = redis.cluster.map((u) => new URL(u));
  const first = nodes[0] as URL;
  const {
    lazyConnect,
    enableOfflineQueue,
    enableAutoPipelining,
    enableReadyCheck,
    retryStrategy,
    ...perNode
  } = opts;
  const auth: RedisOptions = {};
  if (first.username) auth.username = decodeURIComponent(first.username);
  if (first.password) auth.password = decodeURIComponent(first.password);
  if (first.protocol === 'rediss:') auth.tls = {};
  const options: ClusterOptions = {
    redisOptions: { ...auth, ...perNode },
    ...(lazyConnect === undefined ? {} : { lazyConnect }),
    ...(enableOfflineQueue === undefined ? {} : { enableOfflineQueue }),
    ...(enableAutoPipelining === undefined ? {} : { enableAutoPipelining }),
    ...(enableReadyCheck === undefined ? {} : { enableReadyCheck }),
    // A node that fails over: commands wait for the new slot map instead of failing at once.
    retryDelayOnFailover: 200,
    retryDelayOnClusterDown: 200,
    retryDelayOnTryAgain: 200,
    slotsRefreshTimeout: 2000,
  };
  // `retryStrategy` of a single connection (e.g. "give up at once") is the cluster's own here.
  if (retryStrategy) options.clusterRetryStrategy = (times) => retryStrategy(times) ?? null;
  const cluster = new Cluster(
    nodes.map((u) => ({ host: u.hostname, port: Number(u.port || 6379) })),
    options,
  );
  return cluster as unknown as Redis;
}

/** Where Klaxon's Redis is, for logs and messages: `host:port`, or the cluster's seed nodes. */
export function redisWhere(redis: KlaxonConfig['redis']): string {
  const hostPort = (u: string) => {
    const url = new URL(u);
    return `${url.hostname}:${url.port || 6379}`;
  };
  return redis.cluster ? `cluster ${redis.cluster.map(hostPort).join(',')}` : hostPort(redis.url);
}

/**
 * A pipeline whose commands may touch keys of different lanes (slots). On a single Redis it is
 * an ordinary pipeline (one round trip). On a cluster, where ioredis refuses a pipeline over
 * several nodes, each command is sent on its own, all at once (one round trip per node, in
 * parallel), and `exec` answers as a pipeline does: `[error, result]` per command, in order.
 * For reads and independent writes only: commands on different nodes keep no order between them.
 */
export function crossSlotPipeline(redis: Redis): ChainableCommander {
  if (!(redis as unknown as { isCluster?: boolean }).isCluster) return redis.pipeline();
  const calls: { name: string; args: unknown[] }[] = [];
  const client = redis as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  const proxy: ChainableCommander = new Proxy({} as ChainableCommander, {
    get(_, name) {
      if (name === 'exec')
        return () =>
          Promise.all(
            calls.map(({ name: n, args }) =>
              (client[n] as (...a: unknown[]) => Promise<unknown>).apply(redis, args).then(
                (v): [Error | null, unknown] => [null, v],
                (e: unknown): [Error | null, unknown] => [e as Error, null],
              ),
            ),
          );
      if (name === 'then') return undefined; // not a promise
      if (typeof name !== 'string' || typeof client[name] !== 'function') return undefined;
      return (...args: unknown[]) => {
        calls.push({ name, args });
        return proxy;
      };
    },
  });
  return proxy;
}
