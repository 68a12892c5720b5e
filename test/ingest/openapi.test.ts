import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { FastifyInstance, InjectOptions } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ingestConfigSchema, type IngestConfigInput } from '../../src/ingest/config.js';
import { buildOpenApi, type JsonSchema, type OpenApiDocument } from '../../src/ingest/openapi.js';
import { buildServer, type IngestDeps } from '../../src/ingest/server.js';
import type { Session, SessionStore } from '../../src/ingest/ui-api.js';
import type { IngestBatch } from '../../src/model/batch.js';
import { silentLogger } from '../../src/ops/logger.js';
import { KlaxonMetrics } from '../../src/ops/metrics.js';
import { NOW, TOKENS, baseConfig, errorPaths, memoryAlertApi } from './helpers.js';

/**
 * The OpenAPI document (src/ingest/openapi.ts) against what it describes: the routes the server
 * registers, docs/api.md, the shape of OpenAPI 3.1, and the validation of the routes themselves.
 */

const ROOT = path.resolve(import.meta.dirname, '..', '..');
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

let tmp = '';
beforeAll(() => {
  tmp = mkdtempSync(path.join(tmpdir(), 'klaxon-openapi-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function memorySessions(): SessionStore {
  const sessions = new Map<string, Session>();
  return {
    async create(name) {
      const id = `s${sessions.size + 1}`;
      const session = { name, csrf: `csrf-${id}` };
      sessions.set(id, session);
      return { id, session };
    },
    async get(id) {
      return sessions.get(id);
    },
    async delete(id) {
      sessions.delete(id);
    },
  };
}

interface Built {
  app: FastifyInstance;
  /** `GET /v1/alerts/:fingerprint`, as Fastify registered them (no HEAD, no static files). */
  routes: Set<string>;
  batches: IngestBatch[];
}

/** A server without Redis (queue and stores in memory), with the routes it registered. */
async function build(over: Partial<IngestConfigInput> = {}): Promise<Built> {
  const batches: IngestBatch[] = [];
  const deps: IngestDeps = {
    config: ingestConfigSchema.parse(baseConfig({ rate_limit: { max: 100_000 }, ...over })),
    enqueue: async (b) => {
      batches.push(b);
    },
    health: async () => ({ status: 'ok' }),
    ready: async () => true,
    metrics: new KlaxonMetrics({ defaultMetrics: false }),
    alerts: memoryAlertApi(),
    sessions: memorySessions(),
    clock: () => NOW,
    logger: silentLogger(),
  };
  const app = buildServer(deps);
  const routes = new Set<string>();
  app.addHook('onRoute', (r) => {
    for (const m of [r.method].flat()) {
      if (m === 'HEAD') continue;
      // The console's files: the wildcard is no operation, but it serves the page at `/ui/`.
      if (r.url === '/ui/*') routes.add(`${m} /ui/`);
      else routes.add(`${m} ${r.url}`);
    }
  });
  await app.ready();
  return { app, routes, batches };
}

/** `GET /v1/alerts/:fingerprint` for each operation of the document. */
function operations(doc: OpenApiDocument): Set<string> {
  const out = new Set<string>();
  for (const [p, item] of Object.entries(doc.paths))
    for (const m of METHODS)
      if (item[m] !== undefined) out.add(`${m.toUpperCase()} ${p.replace(/\{(\w+)\}/g, ':$1')}`);
  return out;
}

async function served(app: FastifyInstance): Promise<OpenApiDocument> {
  const res = await app.inject({ method: 'GET', url: '/openapi.json' });
  expect(res.statusCode, res.body).toBe(200);
  return res.json<OpenApiDocument>();
}

describe('every route, and no other', () => {
  const setups: [string, () => Partial<IngestConfigInput>][] = [
    ['the console not built', () => ({ ui: { dir: mkdtempSync(path.join(tmp, 'empty-')) } })],
    [
      'the console built',
      () => {
        const dir = mkdtempSync(path.join(tmp, 'ui-'));
        writeFileSync(path.join(dir, 'index.html'), '<!doctype html><title>Klaxon</title>');
        return { ui: { dir } };
      },
    ],
    ['the console off', () => ({ ui: { enabled: false } })],
  ];

  it.each(setups)('with %s, the served document lists the routes Fastify registered', async (_, over) => {
    const { app, routes } = await build(over());
    try {
      const doc = await served(app);
      const documented = operations(doc);
      expect(
        [...routes].filter((r) => !documented.has(r)),
        'registered, not in the document',
      ).toEqual([]);
      expect(
        [...documented].filter((r) => !routes.has(r)),
        'in the document, not registered',
      ).toEqual([]);
      expect(routes.size).toBeGreaterThan(20);
    } finally {
      await app.close();
    }
  });
});

describe('docs/api.md', () => {
  /**
   * The rule: each operation appears in the doc as a code span of its method and its path as the
   * server writes it (`:param`), e.g. `GET /v1/alerts/:fingerprint`. Methods may share a span
   * (`GET/POST /v1/silences`), and the path may carry an example query (`?metric=equity`).
   */
  const SPAN =
    /`((?:GET|POST|PUT|PATCH|DELETE)(?:\/(?:GET|POST|PUT|PATCH|DELETE))*) (\/[^`\s?]*)(?:\?[^`\s]*)?`/g;

  it('names every operation of the document', () => {
    const text = readFileSync(path.join(ROOT, 'docs', 'api.md'), 'utf8');
    const named = new Set<string>();
    for (const [, methods = '', p = ''] of text.matchAll(SPAN))
      for (const m of methods.split('/')) named.add(`${m} ${p}`);
    const missing = [...operations(buildOpenApi())].filter((op) => !named.has(op));
    expect(missing, 'operations docs/api.md does not name as `METHOD /path`').toEqual([]);
  });
});

describe('the document is OpenAPI 3.1 in shape', () => {
  const doc = buildOpenApi();

  /** The value a local `$ref` (`#/components/schemas/Error`) points at. */
  const resolve = (ref: string): unknown =>
    ref
      .slice(2)
      .split('/')
      .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'))
      .reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], doc);

  function* refs(node: unknown): Generator<string> {
    if (Array.isArray(node)) for (const v of node) yield* refs(v);
    else if (node !== null && typeof node === 'object')
      for (const [k, v] of Object.entries(node)) {
        if (k === '$ref' && typeof v === 'string') yield v;
        else yield* refs(v);
      }
  }

  it('has the header of Klaxon', () => {
    const pkg = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')) as { version: string };
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.info.title).toBe('Klaxon');
    expect(doc.info.version).toBe(pkg.version);
    expect(doc).not.toHaveProperty('servers');
    expect(Object.keys(doc.components.schemas)).toContain('Error');
  });

  it('resolves every $ref inside the document', () => {
    const all = [...refs(doc)];
    expect(all.length).toBeGreaterThan(20);
    for (const r of all) {
      expect(r, r).toMatch(/^#\//);
      expect(resolve(r), r).toBeTypeOf('object');
    }
  });

  it('gives each operation a unique id, known tags and schemes, its path parameters and responses', () => {
    const ids = new Set<string>();
    const tags = new Set(doc.tags.map((t) => t.name));
    const schemes = new Set(Object.keys(doc.components.securitySchemes));
    for (const [p, item] of Object.entries(doc.paths)) {
      expect(p).toMatch(/^\//);
      for (const m of Object.keys(item)) expect(METHODS as readonly string[], `${p} ${m}`).toContain(m);
      for (const m of METHODS) {
        const op = item[m] as JsonSchema | undefined;
        if (!op) continue;
        const where = `${m.toUpperCase()} ${p}`;
        expect(ids.has(op.operationId as string), where).toBe(false);
        ids.add(op.operationId as string);
        expect(op.summary, where).toBeTypeOf('string');
        for (const t of op.tags as string[]) expect(tags, where).toContain(t);
        expect(Array.isArray(op.security), where).toBe(true);
        for (const req of op.security as Record<string, string[]>[])
          for (const s of Object.keys(req)) expect(schemes, where).toContain(s);

        const params = (op.parameters as JsonSchema[] | undefined) ?? [];
        const inPath = [...p.matchAll(/\{(\w+)\}/g)].map((x) => x[1]);
        expect(
          params.filter((x) => x.in === 'path').map((x) => x.name),
          where,
        ).toEqual(inPath);
        for (const x of params) {
          expect(['path', 'query'], where).toContain(x.in);
          if (x.in === 'path') expect(x.required, where).toBe(true);
          expect(x.schema, where).toBeTypeOf('object');
        }

        const responses = op.responses as Record<string, JsonSchema>;
        expect(Object.keys(responses).length, where).toBeGreaterThan(0);
        expect(
          Object.keys(responses).some((s) => /^[23]\d\d$/.test(s)),
          `${where}: a 2xx or 3xx`,
        ).toBe(true);
        for (const [status, r] of Object.entries(responses)) {
          expect(status, where).toMatch(/^[1-5]\d\d$/);
          expect(r.description, `${where} ${status}`).toBeTypeOf('string');
          const json = (r.content as Record<string, JsonSchema> | undefined)?.['application/json'];
          // Errors are `Error` bodies; `/ready` and `/health` answer 503 with their own report.
          if (Number(status) >= 400 && json && !(op.tags as string[]).includes('Operations'))
            expect(json.schema, `${where} ${status}`).toEqual({
              $ref: '#/components/schemas/Error',
            });
        }
      }
    }
  });

  it('keeps the schemas as JSON Schema 2020-12 without a $schema of their own', () => {
    for (const [name, s] of Object.entries(doc.components.schemas)) {
      expect(s, name).not.toHaveProperty('$schema');
      expect(s.type, name).toBe('object');
    }
  });
});

describe('the contract and the validation agree', () => {
  const doc = buildOpenApi();
  const schema = (name: string) => doc.components.schemas[name] as JsonSchema;
  let b: Built;
  beforeAll(async () => {
    b = await build();
  });
  afterAll(() => b.app.close());

  const send = async (
    url: string,
    token: string,
    payload: unknown,
    method: InjectOptions['method'] = 'POST',
  ) =>
    b.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, payload: payload as object });

  it('POST /v1/alerts: the required fields, the unknown ones, a limit and the batch form', async () => {
    const s = schema('DirectAlert');
    const props = s.properties as Record<string, JsonSchema>;
    const alert = {
      name: 'kill_switch',
      severity: 'critical',
      title: 'Kill switch pressed',
      source: 'grid-bot',
    };
    for (const k of Object.keys(alert)) expect(props, k).toHaveProperty(k);

    const ok = await send('/v1/alerts', TOKENS.grid, alert);
    expect(ok.statusCode, ok.body).toBe(202);
    expect(b.batches.at(-1)?.alerts[0]?.name).toBe('kill_switch');

    expect(s.required).toEqual(['name', 'severity', 'title']);
    for (const field of s.required as string[]) {
      const res = await send('/v1/alerts', TOKENS.grid, { ...alert, [field]: undefined });
      expect(res.statusCode, field).toBe(400);
      expect(errorPaths(res.json()), field).toContain(field);
    }

    expect(s.additionalProperties).toBe(false);
    const unknown = await send('/v1/alerts', TOKENS.grid, { ...alert, colour: 'red' });
    expect(unknown.statusCode).toBe(400);
    expect(errorPaths(unknown.json())).toEqual(['colour']);

    const max = props.title?.maxLength as number;
    expect(max).toBe(1024);
    expect((await send('/v1/alerts', TOKENS.grid, { ...alert, title: 't'.repeat(max) })).statusCode).toBe(
      202,
    );
    const long = await send('/v1/alerts', TOKENS.grid, { ...alert, title: 't'.repeat(max + 1) });
    expect(long.statusCode).toBe(400);
    expect(errorPaths(long.json())).toEqual(['title']);

    const body = (doc.paths['/v1/alerts']?.post as { requestBody: JsonSchema }).requestBody;
    const oneOf = ((body.content as Record<string, JsonSchema>)['application/json']?.schema as JsonSchema)
      .oneOf as JsonSchema[];
    expect(oneOf[1]).toMatchObject({ type: 'array', minItems: 1 });
    const two = await send('/v1/alerts', TOKENS.grid, [alert, { ...alert, name: 'other' }]);
    expect(two.statusCode).toBe(202);
    expect(two.json()).toMatchObject({ accepted: 2 });
    const none = await send('/v1/alerts', TOKENS.grid, []);
    expect(none.statusCode).toBe(400);
    expect(errorPaths(none.json())).toEqual(['']);
  });

  it('POST /v1/silences: each operator it lists, and the limits of matchers', async () => {
    const s = schema('Silence');
    const matchers = (s.properties as Record<string, JsonSchema>).matchers as JsonSchema;
    const op = ((matchers.items as JsonSchema).properties as Record<string, JsonSchema>).op as JsonSchema;
    const silence = (ops: string[]) => ({
      matchers: ops.map((o) => ({ name: 'source', value: 'grid-bot', op: o })),
      duration: '1h',
      createdBy: 'alice',
    });
    for (const o of op.enum as string[]) {
      const res = await send('/v1/silences', TOKENS.admin, silence([o]));
      expect(res.statusCode, `${o}: ${res.body}`).toBe(201);
    }
    const badOp = await send('/v1/silences', TOKENS.admin, silence(['like']));
    expect(badOp.statusCode).toBe(400);
    expect(errorPaths(badOp.json())).toEqual(['matchers[0].op']);

    const most = matchers.maxItems as number;
    expect((await send('/v1/silences', TOKENS.admin, silence(Array(most).fill('=')))).statusCode).toBe(201);
    const tooMany = await send('/v1/silences', TOKENS.admin, silence(Array(most + 1).fill('=')));
    expect(tooMany.statusCode).toBe(400);
    expect(errorPaths(tooMany.json())).toEqual(['matchers']);

    expect(s.required).toContain('createdBy');
    const anonymous = await send('/v1/silences', TOKENS.admin, { ...silence(['=']), createdBy: undefined });
    expect(anonymous.statusCode).toBe(400);
    expect(errorPaths(anonymous.json())).toEqual(['createdBy']);
  });

  it('GET /v1/alerts: the values of its query parameters, and none else', async () => {
    const params = (doc.paths['/v1/alerts']?.get as { parameters: JsonSchema[] }).parameters;
    const param = (name: string) => params.find((p) => p.name === name)?.schema as JsonSchema;
    for (const v of param('status').enum as string[])
      expect((await send(`/v1/alerts?status=${v}`, TOKENS.admin, undefined, 'GET')).statusCode, v).toBe(200);
    const limit = new RegExp(param('limit').pattern as string);
    expect(limit.test('50')).toBe(true);
    expect((await send('/v1/alerts?limit=50', TOKENS.admin, undefined, 'GET')).statusCode).toBe(200);
    expect(limit.test('ten')).toBe(false);
    for (const [query, field] of [
      ['status=lost', 'status'],
      ['limit=ten', 'limit'],
      ['state=firing', 'state'],
    ]) {
      const res = await send(`/v1/alerts?${query}`, TOKENS.admin, undefined, 'GET');
      expect(res.statusCode, query).toBe(400);
      expect(errorPaths(res.json()), query).toEqual([field]);
    }
    expect(params.map((p) => p.name)).not.toContain('state');
  });
});

describe('GET /openapi.json', () => {
  it('answers the document, as JSON, without credentials', async () => {
    const { app } = await build({ auth: true });
    try {
      const res = await app.inject({ method: 'GET', url: '/openapi.json' });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.json()).toEqual(buildOpenApi({ ui: true }));
      const again = await app.inject({ method: 'GET', url: '/openapi.json' });
      expect(again.body).toBe(res.body);
      // The admin routes it describes still want a token.
      expect((await app.inject({ method: 'GET', url: '/v1/alerts' })).statusCode).toBe(401);
    } finally {
      await app.close();
    }
  });
});
