import { spawn, type ChildProcess } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { App } from '../../src/app.js';
import { silentLogger } from '../../src/ops/logger.js';
import { testConfig, TOKEN } from '../support/klaxon.js';
import { writeConfig } from '../support/processes.js';
import { Recorder, waitFor } from '../support/recorder.js';
import { freePort, OwnRedis } from '../support/redis-server.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** The grace the processes get here (25 s in production), and how much longer exiting may take. */
const GRACE = 1000;
const BOUND = GRACE + 4000;

/** `klaxon serve` as an operator runs it, with a short shutdown grace; its logs are kept. */
class ServeProcess {
  readonly child: ChildProcess;
  stdout = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null; at: number }>;

  constructor(
    configFile: string,
    readonly port: number,
  ) {
    this.child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'src', 'cli.ts'),
        'serve',
        '--config',
        configFile,
        '--shutdown-grace',
        `${GRACE}ms`,
      ],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.child.stdout?.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.child.stderr?.on('data', (c: Buffer) => (this.stdout += c.toString()));
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code, signal) => resolve({ code, signal, at: Date.now() })),
    );
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async ready(): Promise<void> {
    await waitFor(
      async () => (await fetch(`${this.url}/ready`).catch(() => undefined))?.status === 200,
      20_000,
      'klaxon serve to be ready',
    );
  }

  /** Sends SIGTERM; resolves with the exit and how long it took. */
  async terminate(): Promise<{ code: number | null; signal: NodeJS.Signals | null; ms: number }> {
    const sent = Date.now();
    this.child.kill('SIGTERM');
    const exit = await Promise.race([
      this.exited,
      new Promise<undefined>((r) => setTimeout(() => r(undefined), BOUND + 5000).unref()),
    ]);
    if (!exit)
      throw new Error(`klaxon serve did not exit within ${BOUND + 5000} ms of SIGTERM:\n${this.stdout}`);
    return { code: exit.code, signal: exit.signal, ms: exit.at - sent };
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

/** A webhook endpoint that never answers: a delivery to it runs until it is cut short. */
async function silentEndpoint(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const open = new Set<http.ServerResponse>();
  const server = http.createServer((req, res) => {
    hits += 1;
    open.add(res);
    req.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`,
    hits: () => hits,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

/** OwnRedis, stopped at most once (a second stop of a killed redis-server would wait forever). */
class RedisUnderTest extends OwnRedis {
  private running = false;

  override async start(): Promise<void> {
    await super.start();
    this.running = true;
  }

  override async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    await super.stop();
  }
}

function rawConfig(prefix: string, redisUrl: string, port: number, hookUrl: string, queue: object = {}) {
  return {
    redis: { url: redisUrl, prefix },
    server: {
      host: '127.0.0.1',
      port,
      tokens: [{ name: 'bots', token: TOKEN, sources: ['*'], admin: true }],
    },
    queue: { shards: 2, ...queue },
    receivers: { hook: { type: 'webhook', url: hookUrl } },
    routes: { receivers: ['hook'] },
  };
}

/**
 * SIGTERM always ends `klaxon serve` within the grace plus a few seconds, whatever Redis does:
 * down, back meanwhile, or up with a job that does not finish.
 */
describe('klaxon serve shuts down within its bound', () => {
  const cleanups: (() => Promise<void> | void)[] = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setUp(queue: object = {}, hookUrl = 'http://127.0.0.1:9/hook') {
    const redis = new RedisUnderTest(await freePort());
    await redis.start();
    cleanups.push(() => redis.stop());
    const port = await freePort();
    const prefix = `klaxon-test-shutdown-${process.pid}`;
    const serve = new ServeProcess(writeConfig(rawConfig(prefix, redis.url, port, hookUrl, queue)), port);
    cleanups.push(() => serve.kill());
    await serve.ready();
    return { redis, serve, prefix };
  }

  it('exits at once when nothing runs', async () => {
    const { serve } = await setUp();
    const exit = await serve.terminate();
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(BOUND);
    expect(serve.stdout).toMatch(/"msg":"stopped"/);
    expect(serve.stdout).not.toMatch(/forcing them/); // nothing to wait for: no grace spent
  });

  it('exits within the bound when Redis is down', async () => {
    const { redis, serve } = await setUp();
    await redis.stop();
    await waitFor(async () => (await fetch(`${serve.url}/ready`)).status === 503, 10_000, 'the outage');
    const exit = await serve.terminate();
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeLessThan(BOUND);
  });

  it('exits within the bound when Redis comes back during the shutdown', async () => {
    const { redis, serve } = await setUp();
    await redis.stop();
    await waitFor(async () => (await fetch(`${serve.url}/ready`)).status === 503, 10_000, 'the outage');
    const sent = Date.now();
    const exiting = serve.terminate();
    await redis.start();
    const exit = await exiting;
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(Date.now() - sent).toBeLessThan(BOUND + 1000);
  });

  it('cuts a delivery that outlives the grace short, and another worker sends it after the lock expires', async () => {
    const endpoint = await silentEndpoint();
    cleanups.push(() => endpoint.close());
    // A delivery may take a minute: only the grace ends it. Short locks, so the takeover is quick.
    const queue = { lock_duration: '1s', stalled_interval: '1s', delivery: { timeout: '60s' } };
    const { redis, serve, prefix } = await setUp(queue, endpoint.url);
    const res = await fetch(`${serve.url}/v1/alerts`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: 'bot', name: 'cut_short', severity: 'critical', title: 'cut short' }),
    });
    expect(res.status).toBe(202);
    await waitFor(() => endpoint.hits() === 1, 10_000, 'the delivery to start');

    const exit = await serve.terminate();
    expect(exit).toMatchObject({ code: 0, signal: null });
    expect(exit.ms).toBeGreaterThanOrEqual(GRACE - 50); // it gave the job its grace…
    expect(exit.ms).toBeLessThan(BOUND); // …and no more
    expect(serve.stdout).toMatch(/did not stop within the shutdown grace: forcing them/);

    // The job stayed locked in Redis; a worker started now takes it over once the lock expires.
    const recorder = await new Recorder().start();
    cleanups.push(() => recorder.close());
    const config = testConfig(prefix, recorder.url, { queue: { shards: 2, ...queue } });
    config.redis.url = redis.url;
    const worker = await App.start({ config, role: 'worker', scheduler: false, logger: silentLogger() });
    cleanups.push(() => worker.stop());
    await waitFor(() => recorder.of('cut_short').length === 1, 15_000, 'the delivery to be taken over');
  });
});
