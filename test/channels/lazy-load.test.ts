import { execFile } from 'node:child_process';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * A service pays for a channel's library (discord.js ~40 MiB, telegraf, the PagerDuty client,
 * nodemailer) only when it has a receiver of that type; the digest's chart renderer (ECharts and
 * resvg, ~50 MiB) loads with the first digest. Each scenario runs in a fresh process
 * (fixtures/lazy-load-probe.ts), which reports what every step loaded.
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const PROBE = path.join(import.meta.dirname, 'fixtures', 'lazy-load-probe.ts');

/** What each step of a scenario loaded, in order: `[step, packages]`. */
async function probe(scenario: string): Promise<[string, string[]][]> {
  const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', PROBE, scenario], {
    cwd: ROOT,
    timeout: 60_000,
  });
  return stdout
    .trim()
    .split('\n')
    .map((line) => {
      const { step, loaded } = JSON.parse(line) as { step: string; loaded: string[] };
      return [step, loaded];
    });
}

describe('heavy libraries load only when used', () => {
  it('validating a config with every receiver type loads none of them', async () => {
    expect(await probe('config')).toEqual([
      ['config modules imported', []],
      ['a config with every receiver type validated', []],
    ]);
  });

  it('a service with one webhook receiver starts without any of them', async () => {
    expect(await probe('app')).toEqual([
      ['app modules imported', []],
      ['webhook-only app started', []],
    ]);
  });

  it('a receiver loads its own library when it is created, and no other', async () => {
    expect(await probe('channels')).toEqual([
      ['registry imported', []],
      ['webhook receiver created', []],
      ['discord receiver created', ['discord.js']],
      ['telegram receiver created', ['telegraf']],
      ['pagerduty receiver created', ['@pagerduty/pdjs']],
      ['email receiver created', ['nodemailer']],
    ]);
  });
});
