import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Alert } from '../../src/model/alert.js';
import type { Silence } from '../../src/ingest/alert-api.js';
import { TestKlaxon, TOKEN } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';
import { freePort } from '../support/redis-server.js';

/**
 * The operator commands (`klaxon alerts`, `alert`, `ack`, `silence add|list|expire`) run as
 * processes from source against a running Klaxon whose alerts came through the live pipeline.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
/** Each case runs several CLI processes (each loads TypeScript from source): on a busy machine that takes a while. */
const CLI_TIMEOUT = 120_000;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

const k = new TestKlaxon(`t-cliop-${randomBytes(4).toString('hex')}`);
const runs: Run[] = [];

/** `klaxon ARGS` with KLAXON_URL and KLAXON_TOKEN set for the test server (unless `env` says otherwise). */
function klaxon(args: string[], env: Record<string, string | undefined> = {}): Promise<Run> {
  const vars: NodeJS.ProcessEnv = { ...process.env, KLAXON_URL: k.app.url, KLAXON_TOKEN: TOKEN, ...env };
  for (const [key, v] of Object.entries(env)) if (v === undefined) delete vars[key];
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), ...args],
      { cwd: ROOT, timeout: 30_000, env: vars },
      (err, stdout, stderr) => {
        const run = { code: err ? (typeof err.code === 'number' ? err.code : -1) : 0, stdout, stderr };
        runs.push(run);
        resolve(run);
      },
    );
  });
}

async function get<T>(p: string): Promise<T> {
  const res = await fetch(`${k.app.url}${p}`, { headers: { authorization: `Bearer ${TOKEN}` } });
  return (await res.json()) as T;
}

/** Fingerprints by alert name, once the lanes have stored them. */
const fps: Record<string, string> = {};

beforeAll(async () => {
  await k.start();
  await k.push('/v1/alerts', [
    { source: 'grid-1', name: 'order_stuck', severity: 'critical', title: 'Order stuck on grid-1' },
    { source: 'dca-2', name: 'api_errors', severity: 'warning', title: 'API errors on dca-2' },
    { source: 'grid-1', name: 'fill_slow', severity: 'warning', title: 'Fills slow on grid-1' },
  ]);
  await k.idle();
  const { alerts } = await get<{ alerts: Alert[] }>('/v1/alerts');
  for (const a of alerts) fps[a.name] = a.fingerprint;
  expect(Object.keys(fps).sort()).toEqual(['api_errors', 'fill_slow', 'order_stuck']);
});

afterAll(async () => {
  await k.close();
  // The token is sent, never shown.
  for (const r of runs) expect(`${r.stdout}${r.stderr}`).not.toContain(TOKEN);
});

describe('klaxon alerts and klaxon alert', { timeout: CLI_TIMEOUT }, () => {
  it('lists every alert newest first, filters, follows pages, and prints JSON', async () => {
    const [all, filtered, json, limited, paged] = await Promise.all([
      klaxon(['alerts']),
      klaxon(['alerts', '--state', 'firing', '--severity', 'warning', '--source', 'grid-1']),
      klaxon(['alerts', '--json', '--receiver', 'hook']),
      klaxon(['alerts', '--limit', '2']),
      klaxon(['alerts', '--page-size', '1']),
    ]);
    expect(all.code, all.stderr).toBe(0);
    const lines = all.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/^FINGERPRINT +STATE +SEVERITY +NAME +SOURCE +SINCE +ACKNOWLEDGED BY$/);
    expect(lines).toHaveLength(4);
    expect(all.stdout).toMatch(
      new RegExp(`${fps.order_stuck} +firing +critical +order_stuck +grid-1 +(just now|\\d+s ago) +-`),
    );
    expect(filtered.stdout.trimEnd().split('\n').slice(1)).toEqual([
      expect.stringMatching(new RegExp(`^${fps.fill_slow} +firing +warning +fill_slow +grid-1`)),
    ]);
    const listed = JSON.parse(json.stdout) as Alert[];
    expect(listed.map((a) => a.name).sort()).toEqual(['api_errors', 'fill_slow', 'order_stuck']);
    expect(limited.stdout.trimEnd().split('\n')).toHaveLength(3);
    // One alert per request: the command follows the cursors to the same list.
    expect(
      paged.stdout
        .trimEnd()
        .split('\n')
        .map((l) => l.split(' ')[0]),
    ).toEqual(lines.map((l) => l.split(' ')[0]));
  });

  it('klaxon alert shows the alert and its history, oldest first', async () => {
    const r = await klaxon(['alert', fps.order_stuck as string]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^CRITICAL Order stuck on grid-1\n/);
    expect(r.stdout).toMatch(/\n {2}source +grid-1\n/);
    const history = r.stdout.split('history (oldest first):\n')[1] ?? '';
    const entries = history.trimEnd().split('\n');
    expect(entries[0]).toMatch(
      /^ {2}\d{4}-\d\d-\d\dT[\d:.]+Z \((just now|\d+s ago)\) {2}firing \[critical\]$/,
    );
    expect(entries).toContainEqual(expect.stringMatching(/ {2}told hook: firing$/));
    const json = await klaxon(['alert', fps.order_stuck as string, '--json']);
    expect(JSON.parse(json.stdout)).toMatchObject({
      alert: { name: 'order_stuck' },
      history: expect.any(Array),
    });
  });
});

describe('klaxon ack', { timeout: CLI_TIMEOUT }, () => {
  it('acknowledges; the lane applies it and the list and the history show who took it', async () => {
    const fp = fps.api_errors as string;
    const r = await klaxon(['ack', fp, '--by', 'alice', '--comment', 'on it', '--expires', '2h']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(
      new RegExp(`^acknowledged ${fp} as alice, until \\S+Z \\(in (2h|1h 59m)\\)\\n$`),
    );
    await waitFor(
      async () => (await get<{ alert: Alert }>(`/v1/alerts/${fp}`)).alert.acknowledged !== undefined,
      20_000,
      'the acknowledgement to be applied',
    );
    const [list, detail] = await Promise.all([
      klaxon(['alerts', '--source', 'dca-2']),
      klaxon(['alert', fp]),
    ]);
    expect(list.stdout).toMatch(new RegExp(`${fp} .* alice\\n`));
    expect(detail.stdout).toMatch(/ {2}acknowledged +by alice \S+ \(.*\), until \S+ \(in .*\): on it\n/);
    expect(detail.stdout).toMatch(/ {2}acknowledged by alice: on it \(via cli\)\n/);
  });

  it('an unknown fingerprint, a bad token, a server that is not there: one line each, exit 1', async () => {
    const port = await freePort();
    const [unknown, badToken, noToken, away] = await Promise.all([
      klaxon(['ack', 'ffffffffffffffffffffffff']),
      klaxon(['alerts'], { KLAXON_TOKEN: 'not-the-right-token-0123456789' }),
      klaxon(['alerts', '--token', '']),
      klaxon(['alerts', '--url', `http://127.0.0.1:${port}`]),
    ]);
    expect(unknown).toEqual({
      code: 1,
      stdout: '',
      stderr: 'klaxon ack: 404 not_found: no alert with fingerprint ffffffffffffffffffffffff\n',
    });
    for (const r of [badToken, noToken]) {
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(
        /^klaxon alerts: 401 unauthorized: .*\(give an admin token with --token or KLAXON_TOKEN\)\n$/,
      );
    }
    expect(away.code).toBe(1);
    expect(away.stderr).toBe(
      `klaxon alerts: cannot reach Klaxon at http://127.0.0.1:${port}: connection refused (is it running there?); set --url or KLAXON_URL\n`,
    );
  });

  it('bad usage is one line and exit 2, before anything is sent', async () => {
    const runs = await Promise.all([
      klaxon(['ack']),
      klaxon(['ack', 'abc', '--expires', 'soon']),
      klaxon(['alerts', '--state', 'burning']),
      klaxon(['alerts', '--limit', '0']),
      klaxon(['alerts', '--bogus']),
      klaxon(['alerts', '--url', 'http://user:secret@127.0.0.1:1']),
    ]);
    const messages = runs.map((r) => {
      expect(r.code, r.stderr).toBe(2);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      return r.stderr;
    });
    expect(messages).toEqual([
      expect.stringMatching(/^klaxon ack: give the alert's fingerprint/),
      expect.stringMatching(/^klaxon ack: --expires takes a duration such as 2h or 30m, not "soon"/),
      expect.stringMatching(/^klaxon alerts: --state is one of pending, firing, resolved, not "burning"/),
      expect.stringMatching(/^klaxon alerts: --limit takes a whole number above 0/),
      expect.stringMatching(/^klaxon alerts: unknown option --bogus \(see klaxon alerts --help\)/),
      expect.stringMatching(/^klaxon alerts: --url must not hold credentials/),
    ]);
    expect(messages.join('')).not.toContain('secret');
  });
});

describe('klaxon silence', { timeout: CLI_TIMEOUT }, () => {
  it('add, list, expire: the silence is made, shown, and ended', async () => {
    const add = await klaxon([
      'silence',
      'add',
      'source=grid-1',
      'alertname=~order_.*',
      'title!="a b"',
      '--duration',
      '2h',
      '--comment',
      'broker maintenance',
      '--by',
      'bob',
    ]);
    expect(add.code, add.stderr).toBe(0);
    const id = add.stdout.trim();
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    const { silences } = await get<{ silences: Silence[] }>('/v1/silences');
    expect(silences).toEqual([
      expect.objectContaining({
        id,
        matchers: [
          { name: 'source', op: '=', value: 'grid-1' },
          { name: 'alertname', op: '=~', value: 'order_.*' },
          { name: 'title', op: '!=', value: 'a b' },
        ],
        createdBy: 'bob',
        comment: 'broker maintenance',
      }),
    ]);
    const [list, json] = await Promise.all([
      klaxon(['silence', 'list']),
      klaxon(['silence', 'list', '--json']),
    ]);
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      new RegExp(
        `^${id} +source="grid-1" alertname=~"order_\\.\\*" title!="a b" +active +\\S+ \\(in (2h|1h 59m)\\) +bob +broker maintenance$`,
        'm',
      ),
    );
    expect((JSON.parse(json.stdout) as Silence[]).map((s) => s.id)).toEqual([id]);

    const expire = await klaxon(['silence', 'expire', id]);
    expect(expire).toMatchObject({ code: 0, stdout: `expired ${id}\n` });
    const [after, again] = await Promise.all([
      klaxon(['silence', 'list']),
      klaxon(['silence', 'expire', id]),
    ]);
    expect(after.stdout).toBe('no silences\n');
    expect(again.code).toBe(1);
    expect(again.stderr).toBe(`klaxon silence expire: ${id}: 404 not_found: no silence with id ${id}\n`);
  });

  it('a bare first word is the alert name; --ends sets the end; mistakes are exit 2', async () => {
    const ends = new Date(Date.now() + 3_600_000).toISOString();
    const add = await klaxon(['silence', 'add', 'fill_slow', '--ends', ends, '--comment', 'known']);
    expect(add.code, add.stderr).toBe(0);
    const { silences } = await get<{ silences: Silence[] }>('/v1/silences');
    expect(silences.find((s) => s.id === add.stdout.trim())).toMatchObject({
      matchers: [{ name: 'alertname', op: '=', value: 'fill_slow' }],
      endsAt: Date.parse(ends),
    });
    const bad = await Promise.all([
      klaxon(['silence', 'add', 'source=~(', '--duration', '1h', '--comment', 'x']),
      klaxon(['silence', 'add', 'source=grid-1', '--duration', '1h']),
      klaxon(['silence', 'add', 'source=grid-1', '--comment', 'x']),
      klaxon(['silence', 'add', 'source=grid-1', '--duration', 'ever', '--comment', 'x']),
      klaxon(['silence', 'add', '--duration', '1h', '--comment', 'x']),
      klaxon(['silence', 'frobnicate']),
    ]);
    expect(bad.map((r) => r.code)).toEqual([2, 2, 2, 2, 2, 2]);
    expect(bad[0]?.stderr).toMatch(
      /^klaxon silence add: "source=~\(": the value is not a valid regular expression/,
    );
    expect(bad[1]?.stderr).toMatch(/give --comment/);
    expect(bad[2]?.stderr).toMatch(/give --duration \(2h\) or --ends/);
    expect(bad[3]?.stderr).toMatch(/--duration takes a duration such as 2h or 30m, not "ever"/);
    expect(bad[4]?.stderr).toMatch(/give at least one matcher/);
    expect(bad[5]?.stderr).toMatch(
      /^klaxon silence: unknown command frobnicate\nusage: klaxon silence add\|list\|expire/,
    );
    expect((await get<{ silences: Silence[] }>('/v1/silences')).silences).toHaveLength(1);
  });
});
