import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { loadConfig } from '../../src/config/load.js';
import { parseExposition } from '../../src/scrape/exposition.js';
import { mapScrape } from '../../src/scrape/map.js';

/**
 * The compose stack (docker-compose.yml and examples/compose/) cannot run here, so its parts are
 * checked against each other and against what the suite runs: the services and ports the configs
 * point at exist, Klaxon's config is valid, Alertmanager's is (by amtool), Prometheus's rules
 * name metrics the demo bot exports, and the demo bot plays its incidents.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const DIR = path.join(ROOT, 'examples', 'compose');
const read = (f: string) => parse(readFileSync(f, 'utf8')) as Record<string, unknown>;

interface Service {
  image?: string;
  build?: string;
  ports?: string[];
  volumes?: string[];
  environment?: Record<string, string>;
  depends_on?: string[];
  command?: string[];
  entrypoint?: string[];
}
const compose = read(path.join(ROOT, 'docker-compose.yml')) as { services: Record<string, Service> };
const services = compose.services;
/** The container ports a service publishes. */
const published = (name: string) => (services[name]?.ports ?? []).map((p) => Number(p.split(':').at(-1)));
/** A `host:port` target: the service exists and listens there (published or known to listen). */
const LISTENS: Record<string, number[]> = { redis: [6379], mailpit: [1025, 8025] };
function reachable(target: string): void {
  const [host, port] = target.split(':');
  expect(services, target).toHaveProperty(host as string);
  expect([...published(host as string), ...(LISTENS[host as string] ?? [])], target).toContain(Number(port));
}

let bot: Server | undefined;
afterAll(() => new Promise<void>((r) => (bot ? bot.close(() => r()) : r())));

describe('the compose stack', () => {
  it('has the services of a whole trial, each file it mounts present', () => {
    expect(Object.keys(services).sort()).toEqual(
      ['alertmanager', 'demo-bot', 'klaxon', 'mailpit', 'prometheus', 'redis', 'worker'].sort(),
    );
    for (const [name, s] of Object.entries(services))
      for (const v of s.volumes ?? []) {
        const host = v.split(':')[0] as string;
        if (host.startsWith('.')) expect(existsSync(path.join(ROOT, host)), `${name}: ${host}`).toBe(true);
      }
  });

  it("Klaxon's config is valid, with its Redis and mail server being the stack's", () => {
    for (const name of ['klaxon', 'worker']) {
      const env = services[name]?.environment ?? {};
      expect(env.KLAXON_CONFIG, name).toBe('/etc/klaxon/klaxon.yaml');
      expect(services[name]?.volumes, name).toContain(
        './examples/compose/klaxon.yaml:/etc/klaxon/klaxon.yaml:ro',
      );
    }
    const { config } = loadConfig(path.join(DIR, 'klaxon.yaml'), {
      KLAXON_TOKEN: 'compose-test-token-0123456789abcdef',
      KLAXON_ALERTMANAGER_TOKEN: 'compose-test-am-token-0123456789',
    });
    reachable(new URL(config.redis.url).host);
    expect(published('klaxon')).toContain(config.server.port);
    const email = config.receivers.email as unknown as { smtp: { host: string; port: number } };
    reachable(`${email.smtp.host}:${email.smtp.port}`);
    expect(config.rules.length).toBeGreaterThan(10); // the trading preset
    // Klaxon scrapes the demo bot at the port it publishes.
    expect(config.scrape.length).toBeGreaterThan(0);
    for (const t of config.scrape) reachable(new URL(t.url).host);
  });

  it("Alertmanager forwards to Klaxon's webhook with the token the compose file gives both", () => {
    const am = read(path.join(DIR, 'alertmanager.yml')) as {
      receivers: {
        webhook_configs: { url: string; http_config: { authorization: { credentials_file: string } } }[];
      }[];
    };
    const hook = am.receivers[0]?.webhook_configs[0];
    const url = new URL(hook?.url ?? '');
    expect(url.pathname).toBe('/v1/alertmanager');
    reachable(url.host);
    // The entrypoint writes the token file the config reads, from the variable Klaxon reads too.
    const entry = (services.alertmanager?.entrypoint ?? []).join(' ');
    expect(entry).toContain(`> ${hook?.http_config.authorization.credentials_file}`);
    expect(entry).toContain('$$KLAXON_ALERTMANAGER_TOKEN');
    expect(services.alertmanager?.environment?.KLAXON_ALERTMANAGER_TOKEN).toBe(
      '${KLAXON_ALERTMANAGER_TOKEN}',
    );
    expect(services.klaxon?.environment?.KLAXON_ALERTMANAGER_TOKEN).toMatch(/^\$\{KLAXON_ALERTMANAGER_TOKEN/);
    // Alertmanager's own check, where its tools are installed (.ci/run does not need them).
    if (existsSync('/usr/bin/amtool'))
      expect(
        execFileSync('/usr/bin/amtool', ['check-config', path.join(DIR, 'alertmanager.yml')]).toString(),
      ).toContain('SUCCESS');
  });

  it("Prometheus scrapes the demo bot and Klaxon, and its rules name the demo bot's metrics", async () => {
    const prom = read(path.join(DIR, 'prometheus.yml')) as {
      rule_files: string[];
      alerting: { alertmanagers: { static_configs: { targets: string[] }[] }[] };
      scrape_configs: { job_name: string; static_configs: { targets: string[] }[] }[];
    };
    for (const t of prom.alerting.alertmanagers.flatMap((a) => a.static_configs.flatMap((s) => s.targets)))
      reachable(t);
    for (const job of prom.scrape_configs)
      for (const t of job.static_configs.flatMap((s) => s.targets)) reachable(t);
    const mounted = services.prometheus?.volumes ?? [];
    for (const f of prom.rule_files)
      expect(
        mounted.some((v) => v.split(':')[1] === f),
        f,
      ).toBe(true);

    // The metrics the rules read are the ones the demo bot exports.
    const demo = (await import(path.join(ROOT, 'examples', 'demo-bot.mjs'))) as {
      startDemoBot(port: number, clock: () => number): Promise<Server>;
    };
    let minute = 13 * 60 + 50; // after the 13:00 loss
    bot = await demo.startDemoBot(0, () => minute);
    const base = `http://127.0.0.1:${(bot.address() as AddressInfo).port}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    const exported = new Set([...text.matchAll(/^# TYPE (\w+) /gm)].map((m) => m[1]));
    const rules = read(path.join(DIR, 'rules.yml')) as {
      groups: { rules: { alert: string; expr: string }[] }[];
    };
    for (const r of rules.groups.flatMap((g) => g.rules)) {
      const names = [...r.expr.matchAll(/\b([a-z_]+_[a-z_]+)\b/g)]
        .map((m) => m[1] as string)
        .filter((n) => n !== 'demo_bot');
      for (const n of names) expect(exported.has(n) || n === 'up', `${r.alert}: ${n}`).toBe(true);
    }
    // Klaxon's own scrape of it reads the standard names the trading preset's rules use.
    const { config } = loadConfig(path.join(DIR, 'klaxon.yaml'), {
      KLAXON_TOKEN: 'compose-test-token-0123456789abcdef',
      KLAXON_ALERTMANAGER_TOKEN: 'compose-test-am-token-0123456789',
    });
    const target = config.scrape.find((t) => t.format === 'prometheus');
    if (!target) throw new Error('no prometheus target');
    const mapped = mapScrape(parseExposition(text), target, undefined, Date.now());
    const names = new Set(mapped.snapshots.flatMap((sn) => Object.keys(sn.metrics)));
    for (const n of ['equity', 'market_data_staleness_s']) expect(names, n).toContain(n);
    // The day's incidents: the loss over its limit, then the bot down at 20:05.
    const value = (name: string) => Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1]);
    expect(value('perps_bot_risk_daily_loss')).toBeGreaterThan(value('perps_bot_risk_daily_loss_limit'));
    minute = 20 * 60 + 2;
    const health = await fetch(`${base}/health`);
    expect(health.status).toBe(503);
    expect(((await health.json()) as { status: string }).status).toBe('unhealthy');
    minute = 20 * 60 + 6;
    await expect(fetch(`${base}/metrics`)).rejects.toThrow();
  });
});
