import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, validateConfig } from '../../src/config/load.js';

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const problems = (raw: unknown) => {
  try {
    validateConfig(raw, 'test.yaml', {});
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
};
const yaml = (text: string) => {
  const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'klaxon-config-')), 'klaxon.yaml');
  writeFileSync(file, text);
  return file;
};

describe('configuration', () => {
  it('the shipped config loads with no secrets in the environment', () => {
    const { config } = loadConfig(path.join(ROOT, 'config', 'klaxon.yaml'), {});
    expect(Object.keys(config.receivers)).toEqual(['console', 'file']);
    expect(config.rules.map((r) => r.name)).toContain('bot_down');
    expect(config.rules).toHaveLength(25);
  });

  it('names the path of every problem and says how to fix it', () => {
    const found = problems({
      server: { port: 'eighty' },
      receivers: { hook: { type: 'webhook', url: 'ftp://x' } },
      routes: { receivers: ['pager'] },
      rules: [
        { name: 'lat', kind: 'threshold', metric: 'api_latency_ms', bands: { warning: '500' } },
        { name: 'x', kind: 'thresold', metric: 'm' },
      ],
      colour: 'blue',
    });
    const paths = found.map((p) => p.path);
    expect(paths).toContain('server.port');
    expect(paths).toContain('receivers.hook.url');
    expect(paths).toContain('rules[0].bands.warning');
    expect(paths).toContain('rules[1].kind');
    expect(found.find((p) => p.path === '(top level)')?.message).toMatch(/unknown key\(s\) colour/);
  });

  it('checks names that refer to each other', () => {
    const found = problems({
      receivers: { console: { type: 'console' } },
      routes: { receivers: ['pager'] },
      rules: [
        { name: 'a', kind: 'event', event: 'x', receivers: ['telegram'] },
        { name: 'a', kind: 'event', event: 'y' },
      ],
    });
    expect(found).toEqual([
      expect.objectContaining({
        path: 'routes',
        message: expect.stringMatching(/receiver "pager".*configured: console/),
      }),
      expect.objectContaining({ path: 'rules[0].receivers', message: expect.stringMatching(/telegram/) }),
      expect.objectContaining({ path: 'rules[1].name', message: expect.stringMatching(/used twice/) }),
    ]);
  });

  it('fills ${VAR} and ${VAR:-default} from the environment and names a missing one', () => {
    const file = yaml(
      'server:\n  port: ${PORT:-9000}\n  tokens:\n    - {name: a, token: "${TOKEN}", sources: ["*"]}\n',
    );
    expect(loadConfig(file, { TOKEN: 'x'.repeat(20) }).config.server.port).toBe(9000);
    expect(() => loadConfig(file, {})).toThrow(
      /server\.tokens\[0\]\.token: environment variable TOKEN is not set/,
    );
  });

  it('a placeholder holding digits stays text where text is wanted, and a long id keeps every digit', () => {
    const file = yaml(
      [
        'receivers:',
        '  mail: {type: email, to: [a@example.test], from: k@example.test,',
        '         smtp: {host: smtp.example.test, port: "${SMTP_PORT}", user: "${SMTP_USER}", pass: "${SMTP_PASS}"}}',
        '  team: {type: discord, webhook_url: "https://discord.com/api/webhooks/1100000000000000001/${HOOK_TOKEN}",',
        '         thread_id: "${THREAD}"}',
        'routes: {receivers: [mail]}',
      ].join('\n'),
    );
    const env = {
      SMTP_PORT: '2525',
      SMTP_USER: '4242',
      SMTP_PASS: '123456',
      HOOK_TOKEN: 'T'.repeat(68),
      THREAD: '1234567890123456789',
    };
    const { receivers } = loadConfig(file, env).config;
    expect(receivers.mail).toMatchObject({ smtp: { port: 2525, user: '4242', pass: '123456' } });
    expect(receivers.team).toMatchObject({ thread_id: '1234567890123456789' });
  });

  it('server.auth: false warns that every request is then admin; check-config prints it', () => {
    const warned = (server: object) =>
      validateConfig({ server }, 'test.yaml', {}).warnings.filter((w) => w.startsWith('server.auth'));
    expect(warned({})).toEqual([]);
    expect(warned({ auth: true })).toEqual([]);
    const [w] = warned({ auth: false, tokens: [{ name: 'a', token: 'x'.repeat(20), sources: ['*'] }] });
    expect(w).toMatch(/authentication is off and every request is admin/);
    expect(w).toMatch(/acknowledge alerts, create and delete silences/);
    expect(w).toMatch(/POST \/v1\/alertmanager is open too/);
    expect(warned({ auth: false, alertmanager: { auth: true, token: 'y'.repeat(20) } })[0]).not.toMatch(
      /alertmanager/,
    );

    const out = execFileSync(
      process.execPath,
      [
        '--import',
        'tsx',
        path.join(ROOT, 'src', 'cli.ts'),
        'check-config',
        '--config',
        yaml('server: {auth: false}\n'),
      ],
      { cwd: ROOT, stdio: 'pipe' },
    ).toString();
    expect(out).toMatch(
      /^warning: server\.auth is false: authentication is off and every request is admin\./,
    );
    expect(out).toMatch(/: ok \(/);
  });

  it('klaxon check-config prints every problem and exits 2', () => {
    const file = yaml(
      'rules:\n  - {name: lat, kind: threshold, metric: m, bands: {warning: high}}\nqueue: {shards: 0}\n',
    );
    let out = '';
    let code = 0;
    try {
      execFileSync(
        process.execPath,
        ['--import', 'tsx', path.join(ROOT, 'src', 'cli.ts'), 'check-config', '--config', file],
        {
          cwd: ROOT,
          stdio: 'pipe',
        },
      );
    } catch (err) {
      const e = err as { status: number; stderr: Buffer };
      code = e.status;
      out = e.stderr.toString();
    }
    expect(code).toBe(2);
    expect(out).toMatch(/2 problem\(s\)/);
    expect(out).toMatch(/rules\[0\]\.bands\.warning: /);
    expect(out).toMatch(/queue\.shards: /);
  });
});
