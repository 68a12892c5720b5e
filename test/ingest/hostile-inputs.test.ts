/**
 * Regression table of hostile inputs: each row is a request to the real HTTP server and the answer
 * it must get (status, error code, and the field named). Every refusal has the one error shape
 * (`{error, message, errors?}`, JSON) and enqueues nothing. The accepted rows pin what must keep
 * working next to the limits (long but real texts, past times, small clock skews).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../../src/model/inputs.js';
import { ALL_SECRETS, NOW, TOKENS, baseConfig, errorPaths, startServer, type Harness } from './helpers.js';

interface Request {
  method?: 'GET' | 'POST' | 'DELETE';
  path: string;
  token?: string;
  /** A value sent as JSON. */
  json?: unknown;
  /** A body sent as is, with Content-Type: application/json. */
  text?: string;
  headers?: Record<string, string>;
}

interface Expected {
  status: number;
  /** The `error` code (refusals only). */
  error?: string;
  /** A field the answer must name, in `errors[].path` and in `message`. */
  path?: string;
  /** Something the message must say (the limit, for instance). */
  says?: RegExp;
}

type Row = [what: string, request: Request, expected: Expected];

const YEAR_3000 = '3000-01-01T00:00:00Z';
const MIN = 60_000;

const am = (...alerts: Record<string, unknown>[]): Request => ({
  path: '/v1/alertmanager',
  token: TOKENS.am,
  json: { version: '4', status: 'firing', receiver: 'klaxon', alerts },
});
const amAlert = (over: Record<string, unknown> = {}, labels: Record<string, unknown> = {}) => ({
  status: 'firing',
  labels: { alertname: 'HighCpu', severity: 'critical', ...labels },
  annotations: { summary: 'CPU high' },
  startsAt: '2026-11-21T10:00:00Z',
  endsAt: '0001-01-01T00:00:00Z',
  ...over,
});
const direct = (over: Record<string, unknown> = {}): Request => ({
  path: '/v1/alerts',
  token: TOKENS.admin,
  json: { name: 'stop_loss_hit', severity: 'critical', title: 'Stop loss', source: 'grid-bot', ...over },
});
const event = (body: unknown): Request => ({ path: '/v1/events', token: TOKENS.grid, json: body });
const rawEvent = (text: string): Request => ({ path: '/v1/events', token: TOKENS.grid, text });
const silence = (over: Record<string, unknown> = {}): Request => ({
  path: '/v1/silences',
  token: TOKENS.admin,
  json: { matchers: [{ name: 'alertname', value: 'x' }], duration: '1h', createdBy: 'alice', ...over },
});

const manyLabels = (n: number) => Object.fromEntries(Array.from({ length: n }, (_, i) => [`l${i}`, 'v']));
const nested = (levels: number, leaf = '1') => {
  let s = leaf;
  for (let i = 0; i < levels; i++) s = `{"a":${s}}`;
  return s;
};
const nestedArrays = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;
/** The path of the 33rd level of `{"type":..,"data":{"a":{"a":...}}}`: data + 31 times .a */
const DEEP_DATA_PATH = `data${'.a'.repeat(31)}`;
const iso = (ms: number) => new Date(ms).toISOString();

const ROWS: Row[] = [
  // 1. Alertmanager alerts get the limits of direct alerts
  [
    'AM: alertname of 100 KB',
    am(amAlert({}, { alertname: 'A'.repeat(100_000) })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].labels.alertname', says: /longer than 128/ },
  ],
  [
    'AM: alertname of 129 characters',
    am(amAlert({}, { alertname: 'A'.repeat(LIMITS.name + 1) })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].labels.alertname', says: /longer than 128/ },
  ],
  [
    'AM: alertname with a newline (4th alert)',
    am(amAlert(), amAlert(), amAlert(), amAlert({}, { alertname: 'Disk\nFull' })),
    {
      status: 400,
      error: 'invalid_input',
      path: 'alerts[3].labels.alertname',
      says: /not a valid alert name/,
    },
  ],
  [
    // A Grafana rule title is an alertname: spaces and quotes are text, each channel escapes them.
    'AM: alertname with spaces and quotes',
    am(amAlert({}, { alertname: 'x" onload="y' })),
    { status: 202 },
  ],
  [
    'AM: empty alertname',
    am(amAlert({}, { alertname: '' })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].labels.alertname', says: /is required/ },
  ],
  [
    'AM: 10,000 labels',
    am(amAlert({}, manyLabels(10_000))),
    { status: 400, error: 'invalid_input', path: 'alerts[0].labels', says: /limit is 64/ },
  ],
  [
    'AM: a label value of 2 KB',
    am(amAlert({}, { instance: 'x'.repeat(2048) })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].labels.instance', says: /longer than 1024/ },
  ],
  [
    'AM: a label name with a line break',
    am(amAlert({}, { 'bad\nname': 'x' })),
    {
      status: 400,
      error: 'invalid_input',
      path: 'alerts[0].labels["bad\\nname"]',
      says: /not a valid label name/,
    },
  ],
  [
    'AM: a label name of 5,000 characters (cut in the answer)',
    am(amAlert({}, { ['k'.repeat(5000)]: 'x' })),
    { status: 400, error: 'invalid_input', says: /longer than 128.*/ },
  ],
  [
    'AM: a 900 KB description',
    am(amAlert({ annotations: { summary: 's', description: 'x'.repeat(900_000) } })),
    {
      status: 400,
      error: 'invalid_input',
      path: 'alerts[0].annotations.description',
      says: /longer than 32768/,
    },
  ],
  [
    'AM: a 40 KB runbook annotation',
    am(amAlert({ annotations: { runbook_url: 'x'.repeat(40_000) } })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].annotations.runbook_url' },
  ],
  [
    'AM: a 2 KB summary (the title)',
    am(amAlert({ annotations: { summary: 's'.repeat(2048) } })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].annotations.summary', says: /longer than 1024/ },
  ],
  [
    'AM: 100 annotations',
    am(amAlert({ annotations: manyLabels(100) })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].annotations', says: /limit is 64/ },
  ],
  [
    'AM: a source label with NUL and ../',
    am(amAlert({}, { source: 'grid\u0000/../../etc/passwd' })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].labels.source', says: /not a valid source/ },
  ],
  [
    'AM: a source label with ../',
    am(amAlert({}, { source: 'grid/../../etc/passwd' })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].labels.source', says: /"\.\."/ },
  ],
  [
    'AM: a source label with a line break',
    am(amAlert({}, { source: 'grid\nbot' })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].labels.source' },
  ],
  [
    'AM: a 40 KB groupKey',
    { ...am(amAlert()), json: { groupKey: 'g'.repeat(40_000), alerts: [amAlert()] } },
    { status: 400, error: 'invalid_input', path: 'groupKey', says: /longer than 32768/ },
  ],
  [
    'AM: a 40 KB generatorURL',
    am(amAlert({ generatorURL: `http://x/${'g'.repeat(40_000)}` })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].generatorURL' },
  ],

  // 1. The same limits on POST /v1/alerts
  [
    'alerts: name of 100 KB',
    direct({ name: 'A'.repeat(100_000) }),
    { status: 400, error: 'invalid_input', path: 'name', says: /longer than 128/ },
  ],
  [
    'alerts: name with a newline',
    direct({ name: 'stop\nloss' }),
    { status: 400, error: 'invalid_input', path: 'name', says: /not a valid alert name/ },
  ],
  [
    'alerts: 10,000 labels',
    direct({ labels: manyLabels(10_000) }),
    { status: 400, error: 'invalid_input', path: 'labels', says: /limit is 64/ },
  ],
  [
    'alerts: a 900 KB message',
    direct({ message: 'x'.repeat(900_000) }),
    { status: 400, error: 'invalid_input', path: 'message', says: /longer than 32768/ },
  ],
  [
    'alerts: a source with NUL',
    direct({ source: 'grid\u0000bot' }),
    { status: 400, error: 'invalid_input', path: 'source', says: /not a valid source/ },
  ],
  [
    'alerts: a source with ../',
    direct({ source: 'grid/../../etc' }),
    { status: 400, error: 'invalid_input', path: 'source', says: /"\.\."/ },
  ],

  // 2. Nesting depth, bounded at parse time
  [
    'events: data nested 5,000 levels (~10 KB)',
    rawEvent(`{"type":"x","data":${nested(5000)}}`),
    { status: 400, error: 'invalid_input', path: DEEP_DATA_PATH, says: /limit of 32 levels.*max_json_depth/ },
  ],
  [
    'metrics: 5,000 nested arrays',
    { path: '/v1/metrics', token: TOKENS.grid, text: nestedArrays(5000) },
    { status: 400, error: 'invalid_input', path: '[0]'.repeat(32), says: /limit of 32 levels/ },
  ],
  [
    'alertmanager: nested 100 levels inside an annotation-like field',
    {
      path: '/v1/alertmanager',
      token: TOKENS.am,
      text: `{"alerts":[{"status":"firing","labels":{"alertname":"X"},"extra":${nested(100)}}]}`,
    },
    { status: 400, error: 'invalid_input', path: `alerts[0].extra${'.a'.repeat(29)}` },
  ],

  // 3. __proto__ keys, however spelled
  [
    'events: "\\u005f_proto__" key in data',
    rawEvent('{"type":"x","data":{"\\u005f_proto__":{"polluted":true}}}'),
    { status: 400, error: 'invalid_input', path: 'data.__proto__', says: /__proto__/ },
  ],
  [
    'events: "__proto__" key, all escaped',
    rawEvent('{"type":"x","data":{"\\u005f\\u005f\\u0070\\u0072\\u006f\\u0074\\u006f\\u005f\\u005f":1}}'),
    { status: 400, error: 'invalid_input', path: 'data.__proto__' },
  ],
  [
    'events: literal "__proto__" key in the 2nd item',
    rawEvent('[{"type":"x"},{"type":"y","data":{"list":[{"__proto__":{"admin":true}}]}}]'),
    { status: 400, error: 'invalid_input', path: '[1].data.list[0].__proto__' },
  ],
  [
    'alerts: escaped "__proto__" label',
    {
      path: '/v1/alerts',
      token: TOKENS.admin,
      text: '{"name":"x","severity":"info","title":"t","source":"grid-bot","labels":{"__pr\\u006fto__":{"x":1}}}',
    },
    { status: 400, error: 'invalid_input', path: 'labels.__proto__' },
  ],
  [
    'alertmanager: escaped "__proto__" label',
    {
      path: '/v1/alertmanager',
      token: TOKENS.am,
      text: '{"alerts":[{"status":"firing","labels":{"alertname":"X","\\u005f_proto__":"y"}}]}',
    },
    { status: 400, error: 'invalid_input', path: 'alerts[0].labels.__proto__' },
  ],
  [
    'silences: escaped "__proto__" at the top',
    {
      path: '/v1/silences',
      token: TOKENS.admin,
      text: '{"\\u005f_proto__":{"admin":true},"matchers":[{"name":"a","value":"b"}],"duration":"1h","createdBy":"a"}',
    },
    { status: 400, error: 'invalid_input', path: '__proto__' },
  ],

  // 4. Timestamps ahead of the server's clock (NOW; max_future_skew 5m)
  [
    'events: ts in the year 3000',
    event({ type: 'x', ts: YEAR_3000 }),
    { status: 400, error: 'invalid_input', path: 'ts', says: /ahead of the server's clock.*max_future_skew/ },
  ],
  [
    'metrics: ts in the year 3000 as epoch seconds',
    { path: '/v1/metrics', token: TOKENS.grid, json: { ts: 32_503_680_000, metrics: { x: 1 } } },
    { status: 400, error: 'invalid_input', path: 'ts' },
  ],
  [
    'events: ts 6 minutes ahead (2nd item)',
    event([{ type: 'x' }, { type: 'y', ts: NOW + 6 * MIN }]),
    { status: 400, error: 'invalid_input', path: '[1].ts', says: /6m ahead.*at most 5m/ },
  ],
  [
    'alerts: ts in the year 3000',
    direct({ ts: YEAR_3000 }),
    { status: 400, error: 'invalid_input', path: 'ts' },
  ],
  [
    'AM: startsAt in the year 3000',
    am(amAlert({ startsAt: YEAR_3000 })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].startsAt' },
  ],
  [
    'AM: a resolved alert ending in the year 3000',
    am(amAlert({ status: 'resolved', endsAt: YEAR_3000 })),
    { status: 400, error: 'invalid_input', path: 'alerts[0].endsAt' },
  ],

  // 5. One error shape; messages that tell the limit
  [
    'a 200-character fingerprint in the path',
    { method: 'POST', path: `/v1/alerts/${'f'.repeat(200)}/ack`, token: TOKENS.admin, json: {} },
    { status: 414, error: 'uri_too_long', says: /128 characters/ },
  ],
  [
    'a 20 KB URL',
    { path: `/v1/alerts/${'f'.repeat(20_000)}`, token: TOKENS.admin },
    { status: 414, error: 'uri_too_long', says: /KiB/ },
  ],
  [
    'a 20 KB header',
    { path: '/v1/alerts', token: TOKENS.admin, headers: { 'x-padding': 'p'.repeat(20_000) } },
    { status: 431, error: 'headers_too_large', says: /KiB/ },
  ],
  [
    'a bad %-escape in the path',
    { method: 'DELETE', path: '/v1/silences/%E0%A4%A', token: TOKENS.admin },
    { status: 400, error: 'bad_request' },
  ],
  [
    'silences: createdBy of 100 KB',
    silence({ createdBy: 'x'.repeat(100_000) }),
    { status: 400, error: 'invalid_input', path: 'createdBy', says: /is longer than 128 characters/ },
  ],
  [
    // Matched with RE2 (linear time): taken, and it can never freeze the process.
    'silences: a catastrophic-backtracking regex',
    silence({ matchers: [{ name: 'alertname', op: '=~', value: '(a+)+b' }] }),
    { status: 201 },
  ],
  [
    'silences: a lookahead, which RE2 cannot run in linear time',
    silence({ matchers: [{ name: 'alertname', op: '=~', value: '(?=a)a+' }] }),
    { status: 400, error: 'invalid_input', path: 'matchers[0].value', says: /RE2 syntax/ },
  ],
  [
    'silences: empty createdBy',
    silence({ createdBy: '' }),
    { status: 400, error: 'invalid_input', path: 'createdBy', says: /must not be empty/ },
  ],
  [
    'silences: comment of 2 KB',
    silence({ comment: 'c'.repeat(2048) }),
    { status: 400, error: 'invalid_input', path: 'comment', says: /is longer than 1024 characters/ },
  ],
  [
    'silences: a matcher value of 2 KB',
    silence({ matchers: [{ name: 'alertname', value: 'v'.repeat(2048) }] }),
    { status: 400, error: 'invalid_input', path: 'matchers[0].value', says: /longer than 1024/ },
  ],
  [
    'ack: by of 500 characters',
    { path: '/v1/alerts/abc123/ack', token: TOKENS.admin, json: { by: 'b'.repeat(500) } },
    { status: 400, error: 'invalid_input', path: 'by', says: /is longer than 128 characters/ },
  ],

  // What must keep working
  [
    'AM: a 6 KB description and a 1024-character summary',
    am(amAlert({ annotations: { summary: 's'.repeat(1024), description: 'd'.repeat(6 * 1024) } })),
    { status: 202 },
  ],
  [
    'AM: 64 labels, values of 1024 characters, a 128-character alertname',
    am(
      amAlert({}, { ...manyLabels(62), alertname: 'A'.repeat(128), severity: 's'.repeat(LIMITS.labelValue) }),
    ),
    { status: 202 },
  ],
  ['AM: startsAt in 2001 (a replay)', am(amAlert({ startsAt: '2001-01-01T00:00:00Z' })), { status: 202 }],
  [
    'AM: startsAt 4 minutes ahead (clock skew)',
    am(amAlert({ startsAt: iso(NOW + 4 * MIN) })),
    { status: 202 },
  ],
  ['AM: a firing alert with a far endsAt (not used)', am(amAlert({ endsAt: YEAR_3000 })), { status: 202 }],
  ['events: ts 5 minutes ahead', event({ type: 'x', ts: NOW + 5 * MIN }), { status: 202 }],
  ['events: ts in 2001 (a backfill)', event({ type: 'x', ts: '2001-01-01T00:00:00Z' }), { status: 202 }],
  [
    'events: data nested 31 levels (32 with the body)',
    rawEvent(`{"type":"x","data":${nested(30)}}`),
    {
      status: 202,
    },
  ],
  [
    'events: brackets inside strings do not count as nesting',
    rawEvent(`{"type":"x","data":{"s":"${'[{'.repeat(100)}"}}`),
    { status: 202 },
  ],
  [
    'events: "constructor" and "prototype" keys, escaped or not, are plain keys',
    rawEvent(
      '{"type":"x","data":{"constructor":{"prototype":1},"\\u0063onstructor2":2,"\\u0070rototype":3}}',
    ),
    { status: 202 },
  ],
  ['events: "__proto__" as a value', event({ type: 'x', data: { key: '__proto__' } }), { status: 202 }],
  [
    'alerts: a 128-character fingerprint in the path reaches the route (404, not 414)',
    { method: 'POST', path: `/v1/alerts/${'f'.repeat(128)}/ack`, token: TOKENS.admin, json: {} },
    { status: 404, error: 'not_found' },
  ],
];

let h: Harness;
beforeAll(async () => {
  // no rate limit in the way of the table
  h = await startServer({ config: { ...baseConfig(), rate_limit: { max: 10_000, window: '1s' } } });
});
afterAll(async () => {
  await h.close();
  for (const body of h.bodies) for (const secret of ALL_SECRETS) expect(body).not.toContain(secret);
});

describe('hostile inputs', () => {
  it.each(ROWS)('%s', async (_what, req, exp) => {
    const before = h.batches.length;
    const headers: Record<string, string> = { ...req.headers };
    let body: string | undefined;
    if (req.text !== undefined || req.json !== undefined) {
      headers['content-type'] = 'application/json';
      body = req.text ?? JSON.stringify(req.json);
    }
    const method = req.method ?? (body !== undefined ? 'POST' : 'GET');
    const init: Parameters<Harness['call']>[1] = { method, headers };
    if (body !== undefined) init.body = body;
    if (req.token !== undefined) init.token = req.token;
    const res = await h.call(req.path, init);

    expect(res.status, res.text.slice(0, 500)).toBe(exp.status);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    if (exp.status >= 400) {
      // the one error shape
      expect(Object.keys(res.body).sort()).toEqual(
        res.body.errors === undefined ? ['error', 'message'] : ['error', 'errors', 'message'],
      );
      expect(res.body.error).toBe(exp.error);
      expect(typeof res.body.message).toBe('string');
      // answers stay small, whatever came in
      expect(res.text.length).toBeLessThan(16 * 1024);
      expect(h.batches.length).toBe(before);
    } else if (exp.status === 202) {
      expect(h.batches.length).toBe(before + 1);
    }
    if (exp.path !== undefined) {
      expect(errorPaths(res.body)).toContain(exp.path);
      expect(res.body.message).toContain(exp.path);
    }
    if (exp.says !== undefined) expect(res.body.message).toMatch(exp.says);
  });
});
