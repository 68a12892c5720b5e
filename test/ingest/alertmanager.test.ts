import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AlertSignal } from '../../src/model/signal.js';
import { parseAlertmanagerWebhook } from '../../src/ingest/alertmanager.js';
import { LIMITS } from '../../src/model/inputs.js';
import {
  ALL_SECRETS,
  FIXTURES,
  NOW,
  TOKENS,
  baseConfig,
  basic,
  errorPaths,
  fixtureNames,
  fixtureText,
  raw,
  startServer,
  type Harness,
} from './helpers.js';

/** What each captured webhook must turn into: [alertname, status, severity] per alert. */
const EXPECTED: Record<
  string,
  { name: string; statuses: string[]; severities: string[]; truncated?: number }
> = {
  'auto-resolved-by-resolve-timeout.json': {
    name: 'HighCpuUsage',
    statuses: ['resolved'],
    severities: ['critical'],
  },
  'group-alert-added.json': {
    name: 'DiskSpaceLow',
    statuses: Array(5).fill('firing'),
    severities: Array(5).fill('warning'),
  },
  'group-several-alerts-firing.json': {
    name: 'DiskSpaceLow',
    statuses: Array(4).fill('firing'),
    severities: Array(4).fill('warning'),
  },
  'partial-resolve-1-all-firing.json': {
    name: 'MemoryPressure',
    statuses: ['firing', 'firing', 'firing'],
    severities: ['high', 'high', 'high'],
  },
  'partial-resolve-2-one-resolved.json': {
    name: 'MemoryPressure',
    statuses: ['resolved', 'firing', 'firing'],
    severities: ['high', 'high', 'high'],
  },
  'partial-resolve-3-rest-resolved.json': {
    name: 'MemoryPressure',
    statuses: ['resolved', 'resolved'],
    severities: ['high', 'high'],
  },
  'receiver-name-regex-escaped.json': {
    name: 'ReceiverNameEscaping',
    statuses: ['firing'],
    severities: ['warning'],
  },
  'resolve-1-firing.json': { name: 'ServiceDown', statuses: ['firing'], severities: ['critical'] },
  'resolve-2-resolved.json': { name: 'ServiceDown', statuses: ['resolved'], severities: ['critical'] },
  'retry-500-then-200.json': { name: 'RetryProbe500', statuses: ['firing'], severities: ['warning'] },
  'severity-critical.json': { name: 'PaymentApiDown', statuses: ['firing'], severities: ['critical'] },
  'severity-high.json': { name: 'HighErrorRate', statuses: ['firing'], severities: ['high'] },
  'severity-info-no-generator-url.json': {
    name: 'DeploymentFinished',
    statuses: ['firing'],
    severities: ['info'],
  },
  'severity-mixed-group.json': {
    name: 'QueueBacklog',
    statuses: ['firing', 'firing', 'firing', 'firing'],
    severities: ['warning', 'high', 'critical', 'info'],
  },
  'severity-warning.json': { name: 'CertificateExpiringSoon', statuses: ['firing'], severities: ['warning'] },
  'single-firing-critical.json': { name: 'HighCpuUsage', statuses: ['firing'], severities: ['critical'] },
  'truncated-max-alerts.json': {
    name: 'NodeExporterDown',
    statuses: ['firing', 'firing', 'firing'],
    severities: ['critical', 'critical', 'critical'],
    truncated: 4,
  },
  'unicode-long-text.json': { name: 'UnicodeAndLongText', statuses: ['firing'], severities: ['warning'] },
  'unicode-long-text.raw.json': { name: 'UnicodeAndLongText', statuses: ['firing'], severities: ['warning'] },
};

let h: Harness;
beforeAll(async () => {
  h = await startServer();
});
afterAll(async () => {
  await h.close();
  for (const body of h.bodies) for (const secret of ALL_SECRETS) expect(body).not.toContain(secret);
});

async function post(name: string, auth = `Bearer ${TOKENS.am}`): Promise<AlertSignal[]> {
  const before = h.batches.length;
  const res = await h.call('/v1/alertmanager', {
    method: 'POST',
    body: fixtureText(name),
    headers: { 'content-type': 'application/json', authorization: auth, 'user-agent': 'Alertmanager/0.25.0' },
  });
  expect(res.status, `${name}: ${res.text}`).toBe(202);
  expect(h.batches.length).toBe(before + 1);
  const batch = h.batches[h.batches.length - 1]!;
  expect(res.body).toEqual({ accepted: batch.alerts.length, id: batch.id });
  expect(batch.snapshots).toEqual([]);
  expect(batch.events).toEqual([]);
  return batch.alerts;
}

describe('Alertmanager webhook fixtures', () => {
  it('covers every webhook fixture of the folder', () => {
    expect(fixtureNames().sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  for (const name of Object.keys(EXPECTED)) {
    it(`parses ${name}`, async () => {
      const exp = EXPECTED[name]!;
      const signals = await post(name);
      expect(signals.map((s) => s.name)).toEqual(exp.statuses.map(() => exp.name));
      expect(signals.map((s) => s.status)).toEqual(exp.statuses);
      expect(signals.map((s) => s.severity)).toEqual(exp.severities);
      for (const s of signals) {
        expect(s.kind).toBe('state');
        expect(s.origin).toBe('alertmanager');
        expect(s.labels.source).toBe('alertmanager');
        expect(s.labels.alertname).toBe(exp.name);
        expect(typeof s.annotations.title).toBe('string');
        expect(s.startsAt).toBeGreaterThan(Date.UTC(2026, 0, 1));
        expect(s.links?.some((l) => l.href === 'http://localhost:9093')).toBe(true);
        if (exp.truncated) expect(s.annotations.truncated_alerts).toBe(String(exp.truncated));
        else expect(s.annotations.truncated_alerts).toBeUndefined();
      }
    });
  }

  it('maps annotations, links and times of a firing alert', async () => {
    const [s] = await post('single-firing-critical.json');
    expect(s).toMatchObject({
      name: 'HighCpuUsage',
      status: 'firing',
      severity: 'critical',
      labels: {
        alertname: 'HighCpuUsage',
        instance: 'web-01:9100',
        job: 'node',
        team: 'platform',
        source: 'alertmanager',
      },
      annotations: {
        title: 'CPU usage above 95% on web-01',
        message:
          'CPU usage on web-01:9100 has been above 95% for more than 5 minutes (current value: 97.3%).',
        runbook_url: 'https://runbooks.example.org/HighCpuUsage',
      },
      startsAt: Date.parse('2026-11-21T10:08:47.189Z'),
      ts: Date.parse('2026-11-21T10:08:47.189Z'),
    });
    expect(s!.annotations.summary).toBeUndefined();
    expect(s!.links?.[0]?.text).toBe('Source');
    expect(s!.links?.[0]?.href).toMatch(/^http:\/\/localhost:9090\/graph\?g0\.expr=/);
  });

  it('parses the nanosecond endsAt of an alert resolved by resolve_timeout', async () => {
    const [s] = await post('auto-resolved-by-resolve-timeout.json');
    expect(s!.status).toBe('resolved');
    expect(s!.ts).toBe(Date.parse('2026-11-21T10:13:47.209Z'));
    expect(s!.startsAt).toBe(Date.parse('2026-11-21T10:08:47.189Z'));
  });

  it('follows the partial-resolve sequence alert by alert', async () => {
    const first = await post('partial-resolve-1-all-firing.json');
    const second = await post('partial-resolve-2-one-resolved.json');
    const third = await post('partial-resolve-3-rest-resolved.json');
    const byNode = (ss: AlertSignal[]) => Object.fromEntries(ss.map((s) => [s.labels.node, s.status]));
    expect(byNode(first)).toEqual({ 'worker-1': 'firing', 'worker-2': 'firing', 'worker-3': 'firing' });
    // top-level status is still "firing", yet worker-1 is resolved
    expect(byNode(second)).toEqual({ 'worker-1': 'resolved', 'worker-2': 'firing', 'worker-3': 'firing' });
    expect(byNode(third)).toEqual({ 'worker-2': 'resolved', 'worker-3': 'resolved' });
    expect(second[0]!.ts).toBe(Date.parse('2026-11-21T10:09:18.313Z'));
    expect(second[1]!.ts).toBe(Date.parse('2026-11-21T10:04:16.259Z'));
  });

  it('skips an empty generatorURL but keeps the externalURL', async () => {
    const [s] = await post('severity-info-no-generator-url.json');
    expect(s!.links).toEqual([{ href: 'http://localhost:9093', text: 'Alertmanager' }]);
    expect(s!.severity).toBe('info');
  });

  it('keeps the unicode body byte-exact (raw wire bytes)', async () => {
    const bytes = readFileSync(join(FIXTURES, 'unicode-long-text.raw.json'));
    expect(bytes.length).toBe(20625);
    const wire = JSON.parse(bytes.toString('utf8')) as {
      alerts: { annotations: Record<string, string>; labels: Record<string, string> }[];
    };
    const res = await h.call('/v1/alertmanager', {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TOKENS.am}` },
    });
    expect(res.status).toBe(202);
    const s = h.batches.at(-1)!.alerts[0]!;
    expect(s.annotations.message).toBe(wire.alerts[0]!.annotations.description);
    expect(s.annotations.title).toBe(wire.alerts[0]!.annotations.summary);
    expect(
      Buffer.from(s.annotations.message!, 'utf8').equals(
        Buffer.from(wire.alerts[0]!.annotations.description!, 'utf8'),
      ),
    ).toBe(true);
    expect(s.annotations.message).toContain('\u2028');
    expect(s.annotations.message).toContain('<b>html</b> &');
    expect(s.labels.region).toBe('東京-1');
    expect(s.labels.owner).toBe('Jürgen Müller');
  });

  it('accepts basic auth', async () => {
    const signals = await post('severity-high.json', basic('am', TOKENS.amPassword));
    expect(signals[0]!.severity).toBe('high');
  });

  it('refuses wrong basic auth and no auth, enqueuing nothing', async () => {
    const before = h.batches.length;
    for (const authorization of [
      basic('am', 'wrong-password-0123456789'),
      basic('nobody', TOKENS.amPassword),
      undefined,
    ]) {
      const headers: Record<string, string> = { 'content-type': 'application/json' };
      if (authorization) headers.authorization = authorization;
      const res = await h.call('/v1/alertmanager', {
        method: 'POST',
        body: fixtureText('severity-critical.json'),
        headers,
      });
      expect(res.status).toBe(401);
      expect(res.body.error).toBe('unauthorized');
      expect(typeof res.body.message).toBe('string');
    }
    expect(h.batches.length).toBe(before);
  });

  it('does not take the Alertmanager token on bot routes', async () => {
    const res = await h.call('/v1/metrics', {
      json: { source: 'alertmanager', metrics: { x: 1 } },
      token: TOKENS.am,
    });
    expect(res.status).toBe(401);
  });

  it('ignores unknown fields such as notification_reason', async () => {
    const payload = JSON.parse(fixtureText('severity-warning.json')) as Record<string, unknown>;
    payload.notification_reason = 'new alerts';
    (payload.alerts as Record<string, unknown>[])[0]!.someFutureField = { x: 1 };
    const res = await h.call('/v1/alertmanager', { json: payload, token: TOKENS.am });
    expect(res.status).toBe(202);
    expect(h.batches.at(-1)!.alerts[0]!.name).toBe('CertificateExpiringSoon');
  });

  it('names the field of a broken webhook', async () => {
    const before = h.batches.length;
    const payload = JSON.parse(fixtureText('severity-mixed-group.json')) as {
      alerts: Record<string, unknown>[];
    };
    delete (payload.alerts[2]!.labels as Record<string, unknown>).alertname;
    payload.alerts[1]!.status = 'exploded';
    const res = await h.call('/v1/alertmanager', { json: payload, token: TOKENS.am });
    expect(res.status).toBe(400);
    expect(res.body.error).toBe('invalid_input');
    expect(errorPaths(res.body)).toContain('alerts[1].status');
    expect(h.batches.length).toBe(before);
  });
});

describe('parseAlertmanagerWebhook', () => {
  const base = JSON.parse(fixtureText('single-firing-critical.json')) as {
    alerts: { labels: Record<string, string>; annotations: Record<string, string> }[];
  };
  const clone = () => JSON.parse(JSON.stringify(base)) as typeof base;

  it('defaults a missing or unknown severity to warning and keeps the raw word', () => {
    const p = clone();
    p.alerts[0]!.labels.severity = 'P1-sev';
    const r = parseAlertmanagerWebhook(p, { source: 'am', receivedAt: NOW });
    expect(r.ok && r.value.signals[0]!.severity).toBe('warning');
    expect(r.ok && r.value.signals[0]!.annotations.original_severity).toBe('P1-sev');
    delete p.alerts[0]!.labels.severity;
    const r2 = parseAlertmanagerWebhook(p, { source: 'am', receivedAt: NOW });
    expect(r2.ok && r2.value.signals[0]!.severity).toBe('warning');
    expect(r2.ok && r2.value.signals[0]!.annotations.original_severity).toBeUndefined();
  });

  it('maps severity aliases case-insensitively', () => {
    const p = clone();
    p.alerts[0]!.labels.severity = 'ERROR';
    const r = parseAlertmanagerWebhook(p, { source: 'am', receivedAt: NOW });
    expect(r.ok && r.value.signals[0]!.severity).toBe('high');
  });

  it('uses the configured source unless the alert has its own', () => {
    const p = clone();
    const r = parseAlertmanagerWebhook(p, { source: 'prom-eu', receivedAt: NOW });
    expect(r.ok && r.value.signals[0]!.labels.source).toBe('prom-eu');
    p.alerts[0]!.labels.source = 'grid-bot';
    const r2 = parseAlertmanagerWebhook(p, { source: 'prom-eu', receivedAt: NOW });
    expect(r2.ok && r2.value.signals[0]!.labels.source).toBe('grid-bot');
  });

  it('uses the alertname as title when there is no summary', () => {
    const p = clone();
    delete p.alerts[0]!.annotations.summary;
    const r = parseAlertmanagerWebhook(p, { source: 'am', receivedAt: NOW });
    expect(r.ok && r.value.signals[0]!.annotations.title).toBe('HighCpuUsage');
  });

  it('rejects a label value that is not a string', () => {
    const p = clone() as unknown as { alerts: { labels: Record<string, unknown> }[] };
    p.alerts[0]!.labels.instance = 9100;
    const r = parseAlertmanagerWebhook(p, { source: 'am', receivedAt: NOW });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.errors[0]!.path).toBe('alerts[0].labels.instance');
  });
});

describe('Alertmanager route configuration', () => {
  it('is closed when no credential is configured and auth is not turned off', async () => {
    const s = await startServer({ config: { ...baseConfig(), alertmanager: {}, tokens: [] } });
    try {
      const res = await s.call('/v1/alertmanager', raw(fixtureText('severity-critical.json')));
      expect(res.status).toBe(401);
      expect(s.batches).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('is open when auth: false, with the configured source', async () => {
    const s = await startServer({
      config: { tokens: [], alertmanager: { auth: false, source: 'prom-main' } },
    });
    try {
      const res = await s.call('/v1/alertmanager', raw(fixtureText('severity-critical.json')));
      expect(res.status).toBe(202);
      expect(s.batches[0]!.alerts[0]!.labels.source).toBe('prom-main');
      // bot routes stay closed
      const res2 = await s.call('/v1/metrics', { json: { source: 'x', metrics: { a: 1 } } });
      expect(res2.status).toBe(401);
    } finally {
      await s.close();
    }
  });

  it('accepts a bot token allowed to push the alertmanager source', async () => {
    const res = await h.call('/v1/alertmanager', raw(fixtureText('severity-warning.json'), TOKENS.fleet));
    expect(res.status).toBe(202);
    const res2 = await h.call('/v1/alertmanager', raw(fixtureText('severity-warning.json'), TOKENS.grid));
    expect(res2.status).toBe(403);
    expect(errorPaths(res2.body)).toEqual(['alerts[0].labels.source']);
  });
});

describe('Alertmanager limits: those of POST /v1/alerts', () => {
  const amBody = (labels: Record<string, string>, annotations: Record<string, string> = {}) => ({
    alerts: [{ status: 'firing', labels: { alertname: 'X', ...labels }, annotations }],
  });
  const send = (body: unknown) => h.call('/v1/alertmanager', { json: body, token: TOKENS.am });
  const sendDirect = (body: Record<string, unknown>) =>
    h.call('/v1/alerts', {
      json: { name: 'X', severity: 'info', title: 't', source: 'grid-bot', ...body },
      token: TOKENS.admin,
    });
  const many = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v']));

  it('draws the same lines as the direct route, at the same sizes', async () => {
    const name = (n: number) => 'A'.repeat(n);
    const cases: [string, Record<string, string>, Record<string, unknown>, boolean][] = [
      ['name at the limit', { alertname: name(LIMITS.name) }, { name: name(LIMITS.name) }, true],
      ['name over it', { alertname: name(LIMITS.name + 1) }, { name: name(LIMITS.name + 1) }, false],
      ['name with a line break', { alertname: 'a\nb' }, { name: 'a\nb' }, false],
      ['name with a NUL', { alertname: 'a\u0000b' }, { name: 'a\u0000b' }, false],
      [
        'label value at the limit',
        { v: 'x'.repeat(LIMITS.labelValue) },
        { labels: { v: 'x'.repeat(LIMITS.labelValue) } },
        true,
      ],
      [
        'label value over it',
        { v: 'x'.repeat(LIMITS.labelValue + 1) },
        { labels: { v: 'x'.repeat(LIMITS.labelValue + 1) } },
        false,
      ],
      [
        'label name over the limit',
        { ['n'.repeat(LIMITS.name + 1)]: 'v' },
        { labels: { ['n'.repeat(LIMITS.name + 1)]: 'v' } },
        false,
      ],
      [
        'label name with a space (Prometheus 3 allows any UTF-8)',
        { 'a b': 'v' },
        { labels: { 'a b': 'v' } },
        true,
      ],
      ['label name with a line break', { 'a\nb': 'v' }, { labels: { 'a\nb': 'v' } }, false],
      ['source with ../', { source: 'grid/../x' }, { source: 'grid/../x' }, false],
      ['source with NUL', { source: 'grid\u0000' }, { source: 'grid\u0000' }, false],
    ];
    for (const [what, amLabels, directFields, ok] of cases) {
      const a = await send(amBody(amLabels));
      const d = await sendDirect(directFields);
      expect(a.status, `alertmanager, ${what}: ${a.text.slice(0, 300)}`).toBe(ok ? 202 : 400);
      expect(d.status, `alerts, ${what}: ${d.text.slice(0, 300)}`).toBe(ok ? 202 : 400);
    }
  });

  it('counts labels the same way (64; source comes on top)', async () => {
    // alertname + 63 = 64 labels
    expect((await send(amBody(many(63)))).status).toBe(202);
    expect(h.batches.at(-1)!.alerts[0]!.labels.source).toBe('alertmanager');
    expect((await sendDirect({ labels: many(64) })).status).toBe(202);
    const a = await send(amBody(many(64)));
    const d = await sendDirect({ labels: many(65) });
    expect(a.status).toBe(400);
    expect(d.status).toBe(400);
    expect(a.body.errors).toEqual([{ path: 'alerts[0].labels', message: 'has 65 labels; the limit is 64' }]);
    expect(d.body.errors).toEqual([{ path: 'labels', message: 'has 65 labels; the limit is 64' }]);
  });

  it('gives the summary the title limit and every other annotation the message limit', async () => {
    const ok = await send(
      amBody(
        {},
        {
          summary: 's'.repeat(LIMITS.title),
          description: 'd'.repeat(LIMITS.message),
          x: 'y'.repeat(LIMITS.message),
        },
      ),
    );
    expect(ok.status, ok.text.slice(0, 300)).toBe(202);
    const signal = h.batches.at(-1)!.alerts[0]!;
    expect(signal.annotations.title).toHaveLength(LIMITS.title);
    expect(signal.annotations.message).toHaveLength(LIMITS.message);
    const bad = await send(
      amBody(
        {},
        {
          summary: 's'.repeat(LIMITS.title + 1),
          description: 'd'.repeat(LIMITS.message + 1),
          x: 'y'.repeat(LIMITS.message + 1),
        },
      ),
    );
    expect(bad.status).toBe(400);
    expect(bad.body.errors).toEqual(
      expect.arrayContaining([
        { path: 'alerts[0].annotations.summary', message: `is longer than ${LIMITS.title} characters` },
        { path: 'alerts[0].annotations.description', message: `is longer than ${LIMITS.message} characters` },
        { path: 'alerts[0].annotations.x', message: `is longer than ${LIMITS.message} characters` },
      ]),
    );
    expect((bad.body.errors as unknown[]).length).toBe(3);
    const names = await send(amBody({}, { 'bad name': 'x', ...many(LIMITS.annotations) }));
    expect(errorPaths(names.body)).toEqual(['alerts[0].annotations["bad name"]']);
    const count = await send(amBody({}, many(LIMITS.annotations + 1)));
    expect(count.body.errors).toEqual([
      {
        path: 'alerts[0].annotations',
        message: `has ${LIMITS.annotations + 1} annotations; the limit is 64`,
      },
    ]);
  });

  it('reports every bad alert of a payload at once, one error per field', async () => {
    const before = h.batches.length;
    const res = await send({
      alerts: [
        { status: 'firing', labels: { alertname: 'A'.repeat(2000) } },
        { status: 'exploded', labels: { alertname: 'ok' } },
        { status: 'firing', labels: { alertname: 'ok', source: 'x/../y' } },
        { status: 'firing', labels: { alertname: 'ok', 'bad\nname': 'v' } },
        { status: 'firing', labels: { severity: 'critical' } },
        { status: 'firing', labels: 'alertname=x' },
      ],
    });
    expect(res.status).toBe(400);
    expect(errorPaths(res.body).sort()).toEqual(
      [
        'alerts[0].labels.alertname',
        'alerts[1].status',
        'alerts[2].labels.source',
        'alerts[3].labels["bad\\nname"]',
        'alerts[4].labels.alertname',
        'alerts[5].labels',
      ].sort(),
    );
    // the tighter rule (alert name, 128) replaces the label value's (1024) at the same path
    expect(res.body.errors).toContainEqual({
      path: 'alerts[0].labels.alertname',
      message: 'is longer than 128 characters',
    });
    expect(h.batches.length).toBe(before);
  });

  it('uses the alertname as title when the summary is empty', async () => {
    const res = await send(amBody({}, { summary: '' }));
    expect(res.status).toBe(202);
    expect(h.batches.at(-1)!.alerts[0]!.annotations.title).toBe('X');
  });

  it('limits the payload fields it keeps or logs', async () => {
    const res = await send({
      ...amBody({}),
      version: 'v'.repeat(200),
      receiver: 'r'.repeat(2000),
      externalURL: `http://x/${'e'.repeat(40_000)}`,
    });
    expect(errorPaths(res.body).sort()).toEqual(['externalURL', 'receiver', 'version']);
  });

  it('accepts every fixture with max_json_depth at its minimum (4)', async () => {
    const s = await startServer({ config: { ...baseConfig(), max_json_depth: 4 } });
    try {
      for (const name of fixtureNames()) {
        const res = await s.call('/v1/alertmanager', raw(fixtureText(name), TOKENS.am));
        expect(res.status, `${name}: ${res.text}`).toBe(202);
      }
      const deeper = await s.call(
        '/v1/alertmanager',
        raw('{"alerts":[{"status":"firing","labels":{"alertname":"X"},"extra":{"a":[]}}]}', TOKENS.am),
      );
      expect(deeper.status).toBe(400);
      expect(deeper.body.errors).toEqual([
        {
          path: 'alerts[0].extra.a',
          message:
            'is nested deeper than the limit of 4 levels of objects and arrays (server.max_json_depth)',
        },
      ]);
    } finally {
      await s.close();
    }
  });
});

describe('Alertmanager times ahead of the server clock', () => {
  const at = (ms: number) => new Date(ms).toISOString();
  const body = (alert: Record<string, unknown>) => ({
    alerts: [{ status: 'firing', labels: { alertname: 'Skewed' }, ...alert }],
  });

  it('refuses startsAt beyond max_future_skew until the clock catches up', async () => {
    let now = NOW;
    const s = await startServer({ clock: () => now });
    try {
      const payload = body({ startsAt: at(NOW + 10 * 60_000), endsAt: '0001-01-01T00:00:00Z' });
      const res = await s.call('/v1/alertmanager', { json: payload, token: TOKENS.am });
      expect(res.status).toBe(400);
      expect(res.body.errors).toEqual([
        {
          path: 'alerts[0].startsAt',
          message: `${at(NOW + 10 * 60_000)} is 10m ahead of the server's clock; at most 5m is allowed (server.max_future_skew)`,
        },
      ]);
      expect(s.batches).toEqual([]);
      now += 6 * 60_000; // now only 4 minutes ahead
      const again = await s.call('/v1/alertmanager', { json: payload, token: TOKENS.am });
      expect(again.status, again.text).toBe(202);
      expect(s.batches[0]!.alerts[0]!.startsAt).toBe(NOW + 10 * 60_000);
    } finally {
      await s.close();
    }
  });

  it('checks endsAt of resolved alerts only; past times stay accepted', async () => {
    const s = await startServer();
    try {
      const far = '2999-12-31T00:00:00Z';
      const firing = await s.call('/v1/alertmanager', {
        json: body({ startsAt: at(NOW - 60_000), endsAt: far }),
        token: TOKENS.am,
      });
      expect(firing.status).toBe(202);
      const resolved = await s.call('/v1/alertmanager', {
        json: body({ status: 'resolved', startsAt: at(NOW - 60_000), endsAt: far }),
        token: TOKENS.am,
      });
      expect(resolved.status).toBe(400);
      expect(errorPaths(resolved.body)).toEqual(['alerts[0].endsAt']);
      const old = await s.call('/v1/alertmanager', {
        json: body({ status: 'resolved', startsAt: '2001-01-01T00:00:00Z', endsAt: '2001-01-01T01:00:00Z' }),
        token: TOKENS.am,
      });
      expect(old.status).toBe(202);
      expect(s.batches.at(-1)!.alerts[0]!.ts).toBe(Date.parse('2001-01-01T01:00:00Z'));
    } finally {
      await s.close();
    }
  });

  it('takes the skew from server.max_future_skew', async () => {
    const s = await startServer({ config: { ...baseConfig(), max_future_skew: '1h' } });
    try {
      const in30m = await s.call('/v1/alertmanager', {
        json: body({ startsAt: at(NOW + 30 * 60_000) }),
        token: TOKENS.am,
      });
      expect(in30m.status).toBe(202);
      const in2h = await s.call('/v1/alertmanager', {
        json: body({ startsAt: at(NOW + 2 * 3_600_000) }),
        token: TOKENS.am,
      });
      expect(in2h.status).toBe(400);
      expect(in2h.body.message).toMatch(/at most 1h is allowed/);
    } finally {
      await s.close();
    }
  });
});
