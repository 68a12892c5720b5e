/**
 * The real processes a chaos scenario runs and breaks: a redis-server of its own (never the
 * shared one at 6379), `klaxon serve` and `klaxon worker` processes started from a config file
 * exactly as an operator would, and a probe that reads queue counts from that Redis.
 *
 * Every child process is registered so that whatever happens (an assertion, Ctrl-C, a crash of
 * the runner) it is killed: `killAllChildren()` and a synchronous `exit` hook.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, mkdirSync, openSync } from 'node:fs';
import path from 'node:path';
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { Keys, queueNames } from '../src/state/keys.js';
import { redisAnswers } from '../test/support/redis-server.js';

export const ROOT = path.resolve(import.meta.dirname, '..');
const CLI = path.join(ROOT, 'src', 'cli.ts');

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls `check` every `every` ms until it is true; throws after `ms`. */
export async function until(
  check: () => boolean | Promise<boolean>,
  ms: number,
  what: string,
  every = 50,
): Promise<void> {
  const end = Date.now() + ms;
  for (;;) {
    if (await check()) return;
    if (Date.now() >= end) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(every);
  }
}

// ---------------------------------------------------------------------------------------------
// Child registry

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const c of live) c.kill('SIGKILL');
});

function track(child: ChildProcess): void {
  live.add(child);
  child.once('exit', () => live.delete(child));
}

async function killChild(child: ChildProcess, signal: NodeJS.Signals): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill(signal);
  await exited;
}

/** SIGKILLs every process any scenario started and has not stopped yet. */
export async function killAllChildren(): Promise<void> {
  await Promise.all([...live].map((c) => killChild(c, 'SIGKILL')));
}

// ---------------------------------------------------------------------------------------------
// Redis

/** `always`: fsync before answering; `everysec`: written at once, fsynced once a second. */
export type AppendFsync = 'always' | 'everysec';

/**
 * A redis-server on `port` with its data in `dir`. `kill` then `start` is a restart on the same
 * port and dir: with AOF on, what it had acknowledged is read back from the append-only file.
 */
export class ChaosRedis {
  private child?: ChildProcess;

  constructor(
    readonly port: number,
    readonly dir: string,
    readonly aof: AppendFsync | false,
  ) {
    mkdirSync(dir, { recursive: true });
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  /** Starts and waits until it answers PING (after loading its AOF); returns how long that took. */
  async start(): Promise<number> {
    const started = Date.now();
    const args = ['--port', String(this.port), '--bind', '127.0.0.1', '--save', ''];
    args.push('--appendonly', this.aof ? 'yes' : 'no');
    if (this.aof) args.push('--appendfsync', this.aof);
    args.push('--dir', this.dir, '--logfile', path.join(this.dir, 'redis.log'));
    const child = spawn('redis-server', args, { stdio: 'ignore' });
    this.child = child;
    track(child);
    let exited = false;
    child.once('exit', () => (exited = true));
    await until(
      async () => {
        if (exited) throw new Error(`redis-server on port ${this.port} exited at start (see its log)`);
        return this.ping();
      },
      20_000,
      `redis-server on port ${this.port}`,
    );
    return Date.now() - started;
  }

  /** SIGKILL (a crash) or SIGTERM (a clean stop, the AOF flushed first). */
  async kill(signal: 'SIGKILL' | 'SIGTERM' = 'SIGKILL'): Promise<void> {
    if (this.child) await killChild(this.child, signal);
  }

  private ping(): Promise<boolean> {
    return redisAnswers(this.url);
  }
}

// ---------------------------------------------------------------------------------------------
// Klaxon processes

export interface ProcessExit {
  name: string;
  at: number;
  code: number | null;
  signal: NodeJS.Signals | null;
  /** We asked for it (a chaos kill or the end of the scenario). */
  expected: boolean;
}

/**
 * One `klaxon serve` or `klaxon worker` process, its stdout and stderr appended to `logFile`.
 * `start` after `kill` starts a fresh process under the same name.
 */
export class KlaxonProcess {
  private child?: ChildProcess;
  private killing = false;
  starts = 0;

  constructor(
    readonly name: string,
    readonly role: 'serve' | 'worker',
    readonly configFile: string,
    readonly logFile: string,
    private readonly onExit: (e: ProcessExit) => void,
  ) {}

  get alive(): boolean {
    return this.child !== undefined && this.child.exitCode === null && this.child.signalCode === null;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  start(): void {
    if (this.alive) throw new Error(`${this.name} is running already`);
    const fd = openSync(this.logFile, 'a');
    let child: ChildProcess;
    try {
      child = spawn(process.execPath, ['--import', 'tsx', CLI, this.role, '--config', this.configFile], {
        cwd: ROOT,
        stdio: ['ignore', fd, fd],
        env: process.env,
      });
    } finally {
      closeSync(fd);
    }
    this.child = child;
    this.killing = false;
    this.starts += 1;
    track(child);
    child.once('exit', (code, signal) =>
      this.onExit({ name: this.name, at: Date.now(), code, signal, expected: this.killing }),
    );
  }

  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    if (!this.child) return;
    this.killing = true;
    await killChild(this.child, signal);
  }
}

// ---------------------------------------------------------------------------------------------
// Probe

/** Reads, from the scenario's Redis, what the queues hold. Used only while Redis is up. */
export class Probe {
  private readonly redis: Redis;
  private readonly ingest: Queue[];
  private readonly deliver: Queue;

  constructor(
    url: string,
    private readonly prefix: string,
    shards: number,
    receiver: string,
  ) {
    this.redis = new Redis(url, { maxRetriesPerRequest: 3 });
    this.redis.on('error', () => undefined);
    const opts = { connection: this.redis, prefix };
    this.ingest = Array.from({ length: shards }, (_, i) => new Queue(queueNames.ingest(i), opts));
    this.deliver = new Queue(queueNames.deliver(receiver), opts);
    for (const q of [...this.ingest, this.deliver]) q.on('error', () => undefined);
  }

  /** Jobs not finished yet (waiting, active, delayed, prioritized, waiting for children). */
  async busy(): Promise<number> {
    let n = 0;
    for (const q of [...this.ingest, this.deliver]) {
      const c = await q.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'waiting-children');
      for (const v of Object.values(c)) n += v;
    }
    return n;
  }

  /** Jobs in the failed sets: ingest jobs that gave up, deliveries dead-lettered. */
  async failed(): Promise<{ ingest: number; deliver: number }> {
    let ingest = 0;
    for (const q of this.ingest) ingest += await q.getFailedCount();
    return { ingest, deliver: await this.deliver.getFailedCount() };
  }

  async deadLetters(): Promise<number> {
    return this.redis.llen(new Keys(this.prefix, 1).deadLetters());
  }

  /** Processes running a delivery worker for the receiver (serve and worker processes alike). */
  async workers(): Promise<number> {
    return this.deliver.getWorkersCount();
  }

  async close(): Promise<void> {
    await Promise.allSettled([...this.ingest, this.deliver].map((q) => q.close()));
    this.redis.disconnect();
  }
}
