import { execFile, spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { freePort } from '../support/redis-server.js';
import { waitFor } from '../support/recorder.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const COMMANDS = [
  'serve',
  'worker',
  'check-config',
  'test-channel',
  'replay',
  'alerts',
  'alert',
  'ack',
  'silence',
  'help',
];
/** Commands of a group, each with its own --help. */
const SUBCOMMANDS = ['silence add', 'silence list', 'silence expire'];

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `klaxon ARGS` from source, as `npx tsx src/cli.ts ARGS` would. */
function klaxon(...args: string[]): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), ...args],
      { cwd: ROOT, timeout: 20_000 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const tmp = (name: string, text: string) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'klaxon-cli-')), name);
  writeFileSync(file, text);
  return file;
};

/** Runs each in turn, two at a time (each is a Node process loading the CLI). */
async function each<T, R>(items: T[], fn: (item: T) => Promise<R>): Promise<R[]> {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += 2) out.push(...(await Promise.all(items.slice(i, i + 2).map(fn))));
  return out;
}

describe('klaxon (the CLI)', () => {
  it('klaxon help and klaxon --help list every command', async () => {
    const runs = await each([['help'], ['--help']], (args) => klaxon(...args));
    for (const r of runs) {
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/^usage: klaxon <command>/);
      for (const c of COMMANDS) expect(r.stdout).toContain(`  ${c}`);
    }
    expect(runs[1]).toEqual(runs[0]);
  });

  it('every command has its own --help, the same as klaxon help COMMAND, without config or Redis', async () => {
    // A config that does not load: help must not read it.
    const broken = tmp('klaxon.yaml', 'queue: {shards: 0}\n');
    const runs = await each([...COMMANDS, ...SUBCOMMANDS], async (c) => ({
      c,
      own: await klaxon(...c.split(' '), '--help', '--config', broken),
    }));
    for (const { c, own } of runs) {
      expect({ c, code: own.code, stderr: own.stderr }).toEqual({ c, code: 0, stderr: '' });
      expect(own.stdout).toMatch(new RegExp(`^usage: klaxon ${c}\\b`));
    }
    const text = (c: string) => runs.find((r) => r.c === c)?.own.stdout;
    expect(text('serve')).toMatch(/--shutdown-grace DURATION/);
    expect(text('worker')).toMatch(/--shutdown-grace DURATION/);
    expect(text('replay')).toMatch(/--source S[\s\S]*--metric M[\s\S]*--json/);
    expect(text('alerts')).toMatch(
      /--state STATE[\s\S]*--severity[\s\S]*--source[\s\S]*--url URL[\s\S]*--token TOKEN/,
    );
    expect(text('ack')).toMatch(/--by NAME[\s\S]*--comment TEXT[\s\S]*--expires DURATION/);
    expect(text('silence add')).toMatch(
      /name=~regex[\s\S]*--duration DURATION[\s\S]*--ends TIME[\s\S]*--comment/,
    );
    expect(text('silence')).toMatch(
      /klaxon silence add[\s\S]*klaxon silence list[\s\S]*klaxon silence expire/,
    );
    const [replay, help, silenceAdd] = await each(
      [
        ['help', 'replay'],
        ['help', 'help'],
        ['help', 'silence', 'add'],
      ],
      (args) => klaxon(...args),
    );
    expect(replay?.stdout).toBe(text('replay'));
    expect(help?.stdout).toBe(text('help'));
    expect(silenceAdd?.stdout).toBe(text('silence add'));
    // Sixteen CLI processes, two at a time.
  }, 90_000);

  it('an unknown command, or help for one, exits 2 with the usage', async () => {
    for (const r of await each([['serv'], ['help', 'serv']], (args) => klaxon(...args))) {
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/^unknown command serv\nusage: klaxon <command>/);
      expect(r.stdout).toBe('');
    }
  });

  it('klaxon replay of a missing or bad file prints one clear line and exits 2, no stack', async () => {
    const bad = tmp('bad.jsonl', '{"source":"a","metrics":{"x":1}}\nnot json\n');
    const [missing, r] = await each(['missing.jsonl', bad], (file) => klaxon('replay', file));
    expect(missing).toEqual({ code: 2, stdout: '', stderr: 'klaxon replay: missing.jsonl: no such file\n' });
    expect(r).toEqual({ code: 2, stdout: '', stderr: `klaxon replay: ${bad}: line 2: not JSON\n` });
  });

  it('klaxon serve refuses a --shutdown-grace that is not a duration', async () => {
    const r = await klaxon('serve', '--shutdown-grace', 'soon');
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'klaxon serve: --shutdown-grace takes a duration such as 25s or 500ms, not "soon"\n',
    );
  });

  it('klaxon worker warns at start that server.auth: false makes every request admin', async () => {
    // A Redis that is not there: the warning comes first, before the worker waits for Redis.
    const config = tmp(
      'klaxon.yaml',
      `redis: {url: "redis://127.0.0.1:${await freePort()}"}\nserver: {auth: false}\n`,
    );
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'worker', '--config', config],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    try {
      await waitFor(() => out.includes('server.auth is false'), 15_000, 'the warning');
      const line = JSON.parse(out.split('\n').find((l) => l.includes('server.auth is false')) ?? '{}') as {
        level: number;
        msg: string;
      };
      expect(line.level).toBe(40);
      expect(line.msg).toMatch(/authentication is off and every request is admin/);
    } finally {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
  });
});
