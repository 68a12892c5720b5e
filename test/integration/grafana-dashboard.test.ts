import { readFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TestKlaxon } from '../support/klaxon.js';

/**
 * The Grafana dashboard in examples/grafana queries Klaxon's own /metrics: every metric and label
 * it names must be one a running Klaxon exposes, so that a renamed metric breaks this test
 * instead of leaving an empty panel on someone's wall.
 */
const FILE = path.resolve(import.meta.dirname, '..', '..', 'examples', 'grafana', 'klaxon-dashboard.json');

interface Panel {
  id: number;
  title: string;
  datasource: { uid: string };
  targets: { expr: string; refId: string; datasource: { uid: string } }[];
}

const dashboard = JSON.parse(readFileSync(FILE, 'utf8')) as {
  uid: string;
  templating: { list: { name: string; type: string }[] };
  panels: Panel[];
};
const k = new TestKlaxon(`klaxon-test-grafana-${process.pid}`);
let exposition = '';

beforeAll(async () => {
  await k.start();
  await k.push('/v1/metrics', { source: 'grid-1', metrics: { equity: 10_000 } });
  await k.push('/v1/alerts', {
    source: 'grid-1',
    name: 'kill_switch',
    severity: 'critical',
    title: 'pressed',
  });
  await k.idle();
  exposition = await (await fetch(`${k.app.url}/metrics`)).text();
});
afterAll(() => k.close());

/** Metric name → its label names, from the exposition's samples. */
function exposed(text: string): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const m of text.matchAll(/^# TYPE (klaxon_\w+) (\w+)$/gm)) {
    const [, name, type] = m as unknown as [string, string, string];
    out.set(name, new Set());
    if (type === 'histogram')
      for (const s of ['_bucket', '_sum', '_count']) out.set(name + s, new Set(['le']));
  }
  for (const m of text.matchAll(/^(klaxon_\w+)\{([^}]*)\}/gm)) {
    const [, name, labels] = m as unknown as [string, string, string];
    for (const l of labels.matchAll(/(\w+)="/g)) out.get(name)?.add(l[1] as string);
  }
  return out;
}

describe('examples/grafana/klaxon-dashboard.json', () => {
  it('queries only metrics and labels a running Klaxon exposes', () => {
    const metrics = exposed(exposition);
    expect(metrics.size).toBeGreaterThan(10);
    const exprs = dashboard.panels.flatMap((p) => p.targets.map((t) => ({ panel: p.title, expr: t.expr })));
    expect(exprs.length).toBeGreaterThanOrEqual(dashboard.panels.length);
    for (const { panel, expr } of exprs) {
      const names = [...expr.matchAll(/klaxon_\w+/g)].map((m) => m[0]);
      expect(names.length, panel).toBeGreaterThan(0);
      for (const name of names) {
        expect(metrics.has(name), `${panel}: ${name}`).toBe(true);
        // Labels the panel filters or groups by: `{state="firing"}`, `by (receiver, result)`.
        const used = [
          ...[...expr.matchAll(/\{([^}]*)\}/g)].flatMap((m) => [
            ...(m[1] as string).matchAll(/(\w+)\s*[=!]/g),
          ]),
          ...[...expr.matchAll(/by \(([^)]*)\)/g)].flatMap((m) => [...(m[1] as string).matchAll(/(\w+)/g)]),
        ].map((l) => l[1] as string);
        const labels = new Set([...metrics.values()].flatMap((s) => [...s]));
        for (const l of used) expect(labels.has(l), `${panel}: label ${l}`).toBe(true);
      }
    }
  });

  it('shows what is so now: the alerts by state, the queues and the dead letters are read at the scrape', () => {
    expect(exposition).toMatch(/^klaxon_alerts\{state="firing"\} 1$/m);
    expect(exposition).toMatch(/^klaxon_alerts\{state="resolved"\} 0$/m);
    expect(exposition).toMatch(/^klaxon_queue_jobs\{queue="ingest",state="wait"\} 0$/m);
    expect(exposition).toMatch(/^klaxon_dead_letters 0$/m);
    expect(exposition).toMatch(/^klaxon_receiver_state\{receiver="hook",state="ok"\} 1$/m);
  });

  it('is an importable dashboard: a Prometheus datasource variable, unique panel ids, every query on it', () => {
    expect(dashboard.uid).toBe('klaxon-overview');
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource' }),
    );
    const ids = dashboard.panels.map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const p of dashboard.panels) {
      expect(p.datasource.uid, p.title).toBe('${datasource}');
      for (const t of p.targets) expect(t.datasource.uid, p.title).toBe('${datasource}');
    }
  });
});
