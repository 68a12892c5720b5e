import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance } from 'fastify';
import type { Alert } from '../../src/model/alert.js';
import type { IngestBatch } from '../../src/model/batch.js';
import { silentLogger } from '../../src/ops/logger.js';
import { KlaxonMetrics } from '../../src/ops/metrics.js';
import type {
  AckResult,
  Acknowledgement,
  AlertApi,
  AlertHistory,
  AlertPage,
  AlertQuery,
  Silence,
  SilenceInput,
} from '../../src/ingest/alert-api.js';
import type { HistoryEntry } from '../../src/model/history.js';
import { compareEntries, decodeCursor, encodeCursor, matchesQuery } from '../../src/state/alert-pages.js';
import { ingestConfigSchema, type IngestConfigInput } from '../../src/ingest/config.js';
import { QueueUnavailableError } from '../../src/ingest/errors.js';
import { buildServer, type IngestDeps } from '../../src/ingest/server.js';

export const FIXTURES = '/work/shared/fixtures/alertmanager';

/** Fake secrets, only for these tests. */
export const TOKENS = {
  grid: 'test-token-grid-0123456789abcdef',
  fleet: 'test-token-fleet-0123456789abcdef',
  admin: 'test-token-admin-0123456789abcdef',
  am: 'test-token-am-0123456789abcdef-xyz',
  amPassword: 'test-password-am-0123456789abcdef',
};
export const ALL_SECRETS = Object.values(TOKENS);

export const NOW = Date.UTC(2026, 10, 21, 12, 0, 0);

export function baseConfig(over: Partial<IngestConfigInput> = {}): IngestConfigInput {
  return {
    tokens: [
      { name: 'grid', token: TOKENS.grid, sources: ['grid-bot'] },
      { name: 'fleet', token: TOKENS.fleet, sources: ['grid-*', 'dca-bot', 'alertmanager'] },
      { name: 'ops', token: TOKENS.admin, sources: ['*'], admin: true },
    ],
    alertmanager: { username: 'am', password: TOKENS.amPassword, token: TOKENS.am },
    ...over,
  };
}

/** An alert for server tests (firing, grid-bot); `over` changes fields. */
export function testAlert(over: Partial<Alert> = {}): Alert {
  return {
    fingerprint: 'abc123',
    name: 'api_latency',
    kind: 'state',
    status: 'firing',
    severity: 'warning',
    labels: { source: 'grid-bot' },
    annotations: { title: 'API latency' },
    origin: 'rule',
    startsAt: NOW - 60_000,
    firingAt: NOW - 60_000,
    lastSeenAt: NOW,
    occurrences: 1,
    notified: [],
    windowCount: 0,
    transitions: [],
    flapping: false,
    version: 1,
    ...over,
  };
}

/**
 * The admin API in memory, for server tests: `alerts` (one firing alert to start with) listed in
 * the order and pages of the real one, `history` by fingerprint, acknowledgements recorded.
 */
export function memoryAlertApi(): AlertApi & {
  alerts: Alert[];
  history: Map<string, HistoryEntry[]>;
  acks: unknown[];
  silences: Silence[];
} {
  const api = {
    alerts: [testAlert()],
    history: new Map<string, HistoryEntry[]>(),
    acks: [] as unknown[],
    silences: [] as Silence[],
    async listAlerts(q: AlertQuery): Promise<AlertPage> {
      const after = q.cursor === undefined ? undefined : decodeCursor(q.cursor);
      const sorted = api.alerts
        .map((a) => ({ a, p: { score: a.lastSeenAt, fp: a.fingerprint } }))
        .sort((x, y) => compareEntries(x.p, y.p))
        .filter((x) => !after || compareEntries(after, x.p) < 0)
        .filter((x) => matchesQuery(x.a, q));
      const page = sorted.slice(0, q.limit);
      const last = page.at(-1);
      return sorted.length > q.limit && last
        ? { alerts: page.map((x) => x.a), next: encodeCursor(last.p) }
        : { alerts: page.map((x) => x.a) };
    },
    async getAlert(fingerprint: string) {
      return api.alerts.find((a) => a.fingerprint === fingerprint);
    },
    async alertHistory(fingerprint: string): Promise<AlertHistory | undefined> {
      const alert = api.alerts.find((a) => a.fingerprint === fingerprint);
      const history = api.history.get(fingerprint) ?? [];
      if (!alert && history.length === 0) return undefined;
      return alert ? { alert, history } : { history };
    },
    async acknowledge(fingerprint: string, ack: Acknowledgement): Promise<AckResult> {
      const alert = api.alerts.find((a) => a.fingerprint === fingerprint);
      if (!alert) return { outcome: 'unknown' };
      if (alert.status === 'resolved') return { outcome: 'not-firing', alert };
      api.acks.push({ fingerprint, ...ack });
      return { outcome: 'accepted', alert };
    },
    async listSilences() {
      return api.silences;
    },
    async createSilence(input: SilenceInput) {
      const s: Silence = { ...input, id: `s${api.silences.length + 1}` };
      api.silences.push(s);
      return s;
    },
    async deleteSilence(id: string) {
      const i = api.silences.findIndex((s) => s.id === id);
      if (i < 0) return false;
      api.silences.splice(i, 1);
      return true;
    },
  };
  return api;
}

export interface Harness {
  app: FastifyInstance;
  url: string;
  batches: IngestBatch[];
  deps: IngestDeps;
  alertApi: ReturnType<typeof memoryAlertApi>;
  /** Every response body read through `call`, to check that no secret leaks. */
  bodies: string[];
  call(path: string, init?: RequestInit & { token?: string; json?: unknown }): Promise<Answer>;
  close(): Promise<void>;
}

export interface Answer {
  status: number;
  headers: Headers;
  text: string;
  body: Record<string, unknown>;
}

export async function startServer(
  opts: {
    config?: IngestConfigInput;
    enqueue?: (b: IngestBatch) => Promise<void>;
    health?: IngestDeps['health'];
    ready?: IngestDeps['ready'];
    logger?: IngestDeps['logger'];
    /** The server's clock (ms); default: always NOW. */
    clock?: IngestDeps['clock'];
  } = {},
): Promise<Harness> {
  const batches: IngestBatch[] = [];
  const alertApi = memoryAlertApi();
  const deps: IngestDeps = {
    config: ingestConfigSchema.parse(opts.config ?? baseConfig()),
    enqueue:
      opts.enqueue ??
      (async (b) => {
        batches.push(b);
      }),
    health: opts.health ?? (async () => ({ status: 'ok', redis: 'ok' })),
    ready: opts.ready ?? (async () => true),
    metrics: new KlaxonMetrics({ defaultMetrics: false }),
    alerts: alertApi,
    clock: opts.clock ?? (() => NOW),
    logger: opts.logger ?? silentLogger(),
  };
  const app = buildServer(deps);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const url = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
  const bodies: string[] = [];
  return {
    app,
    url,
    batches,
    deps,
    alertApi,
    bodies,
    async call(path, init = {}) {
      const { token, json, ...rest } = init;
      const headers = new Headers(rest.headers);
      if (token !== undefined) headers.set('authorization', `Bearer ${token}`);
      let body = rest.body;
      if (json !== undefined) {
        body = JSON.stringify(json);
        if (!headers.has('content-type')) headers.set('content-type', 'application/json');
      }
      const res = await fetch(url + path, {
        method: json !== undefined ? 'POST' : 'GET',
        ...rest,
        headers,
        body,
      });
      const text = await res.text();
      bodies.push(text);
      let parsed: Record<string, unknown> = {};
      try {
        parsed = JSON.parse(text) as Record<string, unknown>;
      } catch {
        // not JSON (e.g. /metrics)
      }
      return { status: res.status, headers: res.headers, text, body: parsed };
    },
    async close() {
      await app.close();
    },
  };
}

export function rejectingEnqueue(): (b: IngestBatch) => Promise<void> {
  return async () => {
    throw new QueueUnavailableError('connect ECONNREFUSED 127.0.0.1:6379');
  };
}

/** POST a raw text body as JSON. */
export function raw(
  body: string,
  token?: string,
  contentType = 'application/json',
): RequestInit & { token?: string } {
  const init: RequestInit & { token?: string } = {
    method: 'POST',
    body,
    headers: { 'content-type': contentType },
  };
  if (token !== undefined) init.token = token;
  return init;
}

export function fixtureNames(): string[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith('.json') && !f.startsWith('api-v2-'))
    .sort();
}

export function fixtureText(name: string): string {
  return readFileSync(join(FIXTURES, name), 'utf8');
}

export function basic(user: string, pass: string): string {
  return `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;
}

/** The error paths named by a 400/403 answer. */
export function errorPaths(body: Record<string, unknown>): string[] {
  return ((body.errors as { path: string }[] | undefined) ?? []).map((e) => e.path);
}
