import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';
import { waitFor } from './recorder.js';
import { redisAnswers } from './redis-server.js';

const run = promisify(execFile);

/** Whether nothing listens on `port` on loopback now. */
async function portFree(port: number): Promise<boolean> {
  const srv = net.createServer();
  return new Promise((resolve) => {
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });
}

/** One node as `CLUSTER NODES` describes it. */
export interface ClusterNode {
  port: number;
  id: string;
  role: 'master' | 'replica';
  /** The master's id, for a replica. */
  masterId?: string;
  /** Slot ranges served, for a master. */
  slots: [number, number][];
  failed: boolean;
}

/**
 * A Redis Cluster of the test's own: `masters` masters with one replica each, on free loopback
 * ports, AOF on, data in a temporary folder. `stop()` kills every node and removes the folder.
 */
export class OwnRedisCluster {
  readonly dir = mkdtempSync(path.join(os.tmpdir(), 'klaxon-cluster-'));
  ports: number[] = [];
  private readonly children = new Map<number, ChildProcess>();

  constructor(readonly masters = 3) {}

  /** Seed URLs for `redis.cluster`. */
  get seeds(): string[] {
    return this.ports.map((p) => `redis://127.0.0.1:${p}`);
  }

  async start(): Promise<void> {
    // A port taken between the check and the node's bind (another test's server): new ports.
    for (let attempt = 1; ; attempt++) {
      await this.spawnAll();
      const up = await Promise.all(
        this.ports.map((p) =>
          waitFor(() => redisAnswers(`redis://127.0.0.1:${p}`), 10_000, `node ${p} to start`).then(
            () => true,
            () => false,
          ),
        ),
      );
      if (up.every(Boolean)) break;
      await Promise.all(this.ports.map((p) => this.kill(p)));
      if (attempt === 3) throw new Error(`cluster nodes did not start on ports ${this.ports.join(', ')}`);
    }
    await run(
      'redis-cli',
      [
        '--cluster',
        'create',
        ...this.ports.map((p) => `127.0.0.1:${p}`),
        '--cluster-replicas',
        '1',
        '--cluster-yes',
      ],
      { timeout: 30_000 },
    );
    await this.waitHealthy();
  }

  /** Picks free ports and starts a node on each. */
  private async spawnAll(): Promise<void> {
    const n = this.masters * 2;
    this.ports = [];
    while (this.ports.length < n) {
      // A node also listens on port + 10000 (the cluster bus). Outside the usual ephemeral range
      // (32768-60999), so that no outgoing connection holds it by chance; both must be free.
      const p = 20_000 + Math.floor(Math.random() * 12_000);
      if (this.ports.some((q) => Math.abs(q - p) === 10_000 || q === p)) continue;
      if ((await portFree(p)) && (await portFree(p + 10_000))) this.ports.push(p);
    }
    for (const port of this.ports) this.spawn(port);
  }

  private spawn(port: number): void {
    const child = spawn(
      'redis-server',
      [
        '--port',
        String(port),
        '--bind',
        '127.0.0.1',
        '--cluster-enabled',
        'yes',
        '--cluster-config-file',
        `nodes-${port}.conf`,
        '--cluster-node-timeout',
        '2000',
        '--appendonly',
        'yes',
        '--save',
        '',
        '--dir',
        this.dir,
      ],
      { stdio: 'ignore' },
    );
    this.children.set(port, child);
    // Should the test process end without stop() (a hook timed out), the node ends with it.
    process.once('exit', () => child.kill('SIGKILL'));
  }

  /** Every live node says `cluster_state:ok` and all agree on who the masters are. */
  async waitHealthy(ms = 20_000): Promise<void> {
    await waitFor(
      async () => {
        const live = this.ports.filter((p) => this.alive(p));
        const views = await Promise.all(live.map((p) => this.info(p).catch(() => '')));
        if (!views.every((v) => v.includes('cluster_state:ok'))) return false;
        const masters = await Promise.all(
          live.map(async (p) =>
            (await this.nodes(p).catch(() => []))
              .filter((x) => x.role === 'master' && !x.failed && x.slots.length > 0)
              .map((x) => x.port)
              .sort()
              .join(','),
          ),
        );
        return masters.every((m) => m === masters[0] && m.split(',').length === this.masters);
      },
      ms,
      'the cluster to be ok',
    );
  }

  alive(port: number): boolean {
    const c = this.children.get(port);
    return !!c && c.exitCode === null && c.signalCode === null;
  }

  private async command<T>(port: number, ...args: string[]): Promise<T> {
    const r = new Redis(port, '127.0.0.1', {
      lazyConnect: true,
      maxRetriesPerRequest: 0,
      retryStrategy: () => null,
    });
    r.on('error', () => undefined);
    try {
      await r.connect();
      return (await r.call(args[0] as string, ...args.slice(1))) as T;
    } finally {
      r.disconnect();
    }
  }

  info(port: number): Promise<string> {
    return this.command<string>(port, 'CLUSTER', 'INFO');
  }

  /** The cluster as node `port` sees it. */
  async nodes(port = this.ports.find((p) => this.alive(p)) ?? 0): Promise<ClusterNode[]> {
    const text = await this.command<string>(port, 'CLUSTER', 'NODES');
    return text
      .trim()
      .split('\n')
      .map((line) => {
        const [id, addr, flags, master, , , , , ...slots] = line.split(' ');
        const f = (flags ?? '').split(',');
        const node: ClusterNode = {
          port: Number((addr ?? '').split('@')[0]?.split(':')[1]),
          id: id ?? '',
          role: f.includes('master') ? 'master' : 'replica',
          slots: slots
            .filter((s) => !s.startsWith('['))
            .map((s) => {
              const [a, b] = s.split('-').map(Number);
              return [a as number, b ?? (a as number)];
            }),
          failed: f.includes('fail') || f.includes('fail?'),
        };
        if (master && master !== '-') node.masterId = master;
        return node;
      });
  }

  /** The port of the master serving `slot`. */
  async masterOf(slot: number): Promise<number> {
    const m = (await this.nodes()).find(
      (n) => n.role === 'master' && !n.failed && n.slots.some(([a, b]) => slot >= a && slot <= b),
    );
    if (!m) throw new Error(`no master serves slot ${slot}`);
    return m.port;
  }

  /** The port of a replica of the master on `port`. */
  async replicaOf(port: number): Promise<number> {
    const all = await this.nodes();
    const master = all.find((n) => n.port === port);
    const r = all.find((n) => n.role === 'replica' && n.masterId === master?.id && !n.failed);
    if (!r) throw new Error(`no replica of ${port}`);
    return r.port;
  }

  /**
   * A manual failover of the master on `port` (CLUSTER FAILOVER on its replica): the master
   * stops taking writes, the replica catches up with it and takes its slots over, nothing
   * acknowledged is lost. Returns the promoted replica's port.
   */
  async failover(port: number): Promise<number> {
    const replica = await this.replicaOf(port);
    await this.command(replica, 'CLUSTER', 'FAILOVER');
    await waitFor(
      async () =>
        (await this.nodes(replica).catch(() => [])).some((n) => n.port === replica && n.role === 'master'),
      20_000,
      `replica ${replica} to take over`,
    );
    await this.waitHealthy();
    return replica;
  }

  /** The hash slot of `key` (CLUSTER KEYSLOT). */
  keySlot(key: string): Promise<number> {
    return this.command<number>(this.ports.find((p) => this.alive(p)) ?? 0, 'CLUSTER', 'KEYSLOT', key);
  }

  /** Keys matching `pattern` on the node on `port` (a test cluster is small: KEYS is fine). */
  keysOn(port: number, pattern: string): Promise<string[]> {
    return this.command<string[]>(port, 'KEYS', pattern);
  }

  async kill(port: number): Promise<void> {
    const child = this.children.get(port);
    if (!child || !this.alive(port)) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    child.kill('SIGKILL');
    await exited;
  }

  /** Kills every node and removes the data folder. Safe to call whatever state it is in. */
  async stop(): Promise<void> {
    await Promise.all([...this.children.keys()].map((p) => this.kill(p)));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
