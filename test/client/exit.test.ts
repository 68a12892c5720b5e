import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ClientStats } from '../../src/client/index.js';
import { TOKEN, TestKlaxon } from '../support/klaxon.js';
import { urlOf } from './proxy.js';
import { waitFor } from '../support/recorder.js';

const CHILD = fileURLToPath(new URL('./bot-child.ts', import.meta.url));

/** Runs the child bot; answers its exit code, the counters it printed, and how long it lived. */
function runBot(url: string, source: string, mode: 'close' | 'end') {
  return new Promise<{ code: number | null; stats: ClientStats; stderr: string; ms: number }>(
    (resolve, reject) => {
      const started = Date.now();
      const child = spawn(process.execPath, ['--import', 'tsx', CHILD, url, TOKEN, source, mode], {
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (c: Buffer) => (out += c.toString()));
      child.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const killer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`the bot did not exit by itself within 20 s: ${out} ${err}`));
      }, 20_000);
      child.on('exit', (code) => {
        clearTimeout(killer);
        try {
          resolve({
            code,
            stats: JSON.parse(out.trim()) as ClientStats,
            stderr: err,
            ms: Date.now() - started,
          });
        } catch {
          reject(new Error(`unexpected output: ${out} ${err}`));
        }
      });
    },
  );
}

/** No handle of the client keeps a bot's process alive once it is done. */
describe('a bot process using the client', () => {
  const k = new TestKlaxon(`klaxon-test-client-exit-${process.pid}`);
  beforeAll(() => k.start());
  afterAll(() => k.close());

  it('exits after close(), heartbeats sent and nothing left behind', async () => {
    const r = await runBot(urlOf(k), 'ts-child-close', 'close');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stats).toMatchObject({ queued: 0, inFlight: 0, failed: 0, rejected: 0, dropped: 0 });
    // a snapshot, an alert and the heartbeats of 450 ms at 100 ms
    expect(r.stats.accepted).toBeGreaterThanOrEqual(5);
  });

  it('that ends without close() still sends what it queued, then exits (the heartbeat does not hold it)', async () => {
    const r = await runBot(urlOf(k), 'ts-child-end', 'end');
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stats).toMatchObject({ accepted: 2, queued: 0, inFlight: 0 });
    await k.idle();
    await waitFor(
      () => k.recorder.of('child_alert').some((n) => n.alerts[0]?.annotations.title === 'from end'),
      10_000,
      'the alert of the bot that ended',
    );
  });
});
