import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { waitFor } from '../support/recorder.js';
import { freePort, redisAnswers } from '../support/redis-server.js';

/**
 * Starting with no Redis, as a person trying Klaxon does: `klaxon serve` says why it waits and
 * how to get a Redis; `--local-redis` runs one on the configured port, keeps its data in
 * var/redis/ (append-only file) across restarts, and stops it on exit.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const TSX = import.meta.resolve('tsx');
const TOKEN = 'local-redis-test-token-0123456789';
const children: ChildProcess[] = [];
const dirs: string[] = [];

afterEach(async () => {
  for (const c of children.splice(0)) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

async function setUp(): Promise<{ dir: string; config: string; redisUrl: string; port: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'klaxon-local-redis-'));
  dirs.push(dir);
  const redisUrl = `redis://127.0.0.1:${await freePort()}`;
  const port = await freePort();
  const config = path.join(dir, 'klaxon.yaml');
  writeFileSync(
    config,
    JSON.stringify({
      redis: { url: redisUrl, prefix: 'klaxon' },
      server: {
        host: '127.0.0.1',
        port,
        tokens: [{ name: 'ops', token: TOKEN, sources: ['*'], admin: true }],
      },
      receivers: { console: { type: 'console' } },
    }),
  );
  return { dir, config, redisUrl, port };
}

function serve(
  cwd: string,
  config: string,
  ...flags: string[]
): { child: ChildProcess; stderr: () => string } {
  const child = spawn(
    process.execPath,
    ['--import', TSX, path.join(ROOT, 'src', 'cli.ts'), 'serve', '--config', config, ...flags],
    { cwd, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, REDIS_URL: '' } },
  );
  children.push(child);
  let err = '';
  child.stderr?.on('data', (c: Buffer) => (err += c.toString()));
  return { child, stderr: () => err };
}

const exited = (c: ChildProcess) =>
  new Promise<number | null>((r) =>
    c.exitCode !== null ? r(c.exitCode) : c.once('exit', (code) => r(code)),
  );

async function ready(port: number): Promise<boolean> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/ready`)).status === 200;
  } catch {
    return false;
  }
}

describe('starting without a Redis', () => {
  it('says why it waits and the ways to get a Redis, --local-redis among them', async () => {
    const { dir, config, redisUrl } = await setUp();
    const { child, stderr } = serve(dir, config);
    await waitFor(() => stderr().includes('Three ways to get one'), 20_000, 'the message');
    const text = stderr();
    expect(text).toContain(`No Redis answers at ${redisUrl.replace('redis://', '')}`);
    expect(text).toContain('apt-get install redis-server');
    expect(text).toContain('docker run');
    expect(text).toContain('docker compose up');
    expect(text).toContain('npm start -- --local-redis');
    child.kill('SIGTERM');
    await exited(child);
  });

  it('--local-redis runs one with its data in var/redis, kept across restarts, and stops it on exit', async () => {
    const { dir, config, redisUrl, port } = await setUp();
    const first = serve(dir, config, '--local-redis');
    await waitFor(() => ready(port), 30_000, 'the service to be ready');
    expect(first.stderr()).not.toContain('No Redis answers');
    const silence = await fetch(`http://127.0.0.1:${port}/v1/silences`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        matchers: [{ name: 'source', value: 'grid-1' }],
        duration: '2h',
        createdBy: 'ops',
      }),
    });
    expect(silence.status).toBe(201);
    const { id } = (await silence.json()) as { id: string };
    expect(existsSync(path.join(dir, 'var', 'redis'))).toBe(true);
    expect(readdirSync(path.join(dir, 'var', 'redis')).some((f) => f.startsWith('appendonly'))).toBe(true);

    first.child.kill('SIGTERM');
    expect(await exited(first.child)).toBe(0);
    expect(await redisAnswers(redisUrl)).toBe(false);

    const second = serve(dir, config, '--local-redis');
    await waitFor(() => ready(port), 30_000, 'the service to be ready again');
    const listed = await fetch(`http://127.0.0.1:${port}/v1/silences`, {
      headers: { authorization: `Bearer ${TOKEN}` },
    });
    expect(((await listed.json()) as { silences: { id: string }[] }).silences.map((s) => s.id)).toEqual([id]);
    second.child.kill('SIGTERM');
    expect(await exited(second.child)).toBe(0);
    expect(await redisAnswers(redisUrl)).toBe(false);
  }, 90_000);
});
