/** POST /v1/metrics, /v1/events, /v1/alerts, /v1/alertmanager: validate, authorise, enqueue, 202. */
import { randomUUID } from 'node:crypto';
import type { FastifyBaseLogger, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { IngestBatch } from '../model/batch.js';
import {
  formatPath,
  normaliseDirectAlerts,
  normaliseEvents,
  normaliseSnapshots,
  summariseErrors,
  type FieldError,
  type NormaliseResult,
} from '../model/inputs.js';
import { parseAlertmanagerWebhook } from './alertmanager.js';
import type { Principal } from './auth.js';
import { accessHooks, principalOf, requestState, type ServerContext } from './context.js';
import { capError } from './caps.js';
import { HttpError, QueueUnavailableError, invalidInput, MAX_REPORTED_ERRORS } from './errors.js';

type Kind = 'metrics' | 'events' | 'alerts' | 'alertmanager';

interface Prepared {
  items: number;
  snapshots: IngestBatch['snapshots'];
  events: IngestBatch['events'];
  alerts: IngestBatch['alerts'];
  /** For each item, where its source is in the body and what it is (for the source check). */
  sources: { path: string; source: string; explicit: boolean }[];
}

function countItems(kind: Kind, body: unknown): number {
  if (kind === 'alertmanager') {
    const alerts = (body as { alerts?: unknown } | null)?.alerts;
    return Array.isArray(alerts) ? alerts.length : 0;
  }
  return Array.isArray(body) ? body.length : 1;
}

function unwrap<T>(r: NormaliseResult<T>): T {
  if (!r.ok) throw invalidInput(summariseErrors(r.errors), r.errors);
  return r.value;
}

/** Whether item i of the body named its own source (as opposed to the token's default). */
function explicitSource(body: unknown, i: number): boolean {
  const item = Array.isArray(body) ? body[i] : body;
  return item !== null && typeof item === 'object' && 'source' in item;
}

function prepare(
  kind: Kind,
  body: unknown,
  ctx: ServerContext,
  principal: Principal,
  receivedAt: number,
  log: FastifyBaseLogger,
): Prepared {
  const maxFutureSkew = ctx.deps.config.max_future_skew;
  const nctx = { receivedAt, defaultSource: ctx.auth.defaultSource(principal), maxFutureSkew };
  const array = Array.isArray(body);
  const at = (i: number) => formatPath(array ? [i, 'source'] : ['source']);
  const empty: Prepared = { items: 0, snapshots: [], events: [], alerts: [], sources: [] };
  switch (kind) {
    case 'metrics': {
      const snapshots = unwrap(normaliseSnapshots(body, nctx));
      const sources = snapshots.map((s, i) => ({
        path: at(i),
        source: s.source,
        explicit: explicitSource(body, i),
      }));
      return { ...empty, items: snapshots.length, snapshots, sources };
    }
    case 'events': {
      const events = unwrap(normaliseEvents(body, nctx));
      const sources = events.map((e, i) => ({
        path: at(i),
        source: e.source,
        explicit: explicitSource(body, i),
      }));
      return { ...empty, items: events.length, events, sources };
    }
    case 'alerts': {
      const alerts = unwrap(normaliseDirectAlerts(body, nctx));
      const sources = alerts.map((a, i) => ({
        path: at(i),
        source: a.labels.source ?? '',
        explicit: explicitSource(body, i),
      }));
      return { ...empty, items: alerts.length, alerts, sources };
    }
    case 'alertmanager': {
      const res = unwrap(
        parseAlertmanagerWebhook(body, {
          source: ctx.deps.config.alertmanager.source,
          receivedAt,
          maxFutureSkew,
        }),
      );
      const sources = res.signals.map((a, i) => ({
        path: formatPath(['alerts', i, 'labels', 'source']),
        source: a.labels.source ?? '',
        explicit: true,
      }));
      if (res.truncatedAlerts > 0)
        log.warn(
          { groupKey: res.groupKey, receiver: res.receiver, truncatedAlerts: res.truncatedAlerts },
          'Alertmanager left alerts out of this notification (max_alerts)',
        );
      if (res.version !== undefined && res.version !== '4')
        log.warn({ version: res.version }, 'Alertmanager webhook version is not 4; parsed as 4');
      return { ...empty, items: res.signals.length, alerts: res.signals, sources };
    }
  }
}

function checkSources(ctx: ServerContext, principal: Principal, prepared: Prepared): void {
  const errors: FieldError[] = [];
  for (const s of prepared.sources) {
    if (!s.explicit) continue; // the token's own default source
    if (!ctx.auth.maySend(principal, s.source))
      errors.push({ path: s.path, message: `token '${principal.name}' may not push source '${s.source}'` });
  }
  if (errors.length > 0) {
    const first = errors[0] as FieldError;
    throw new HttpError(
      403,
      'forbidden_source',
      `${first.path}: ${first.message}${errors.length > 1 ? ` (and ${errors.length - 1} more)` : ''}`,
      errors.slice(0, MAX_REPORTED_ERRORS),
    );
  }
}

/** Refuses a request that would track a source or series past a cap (`limits`); counts its inputs. */
async function checkCaps(
  ctx: ServerContext,
  kind: Kind,
  body: unknown,
  prepared: Prepared,
  deadline: number,
): Promise<void> {
  const caps = ctx.deps.caps;
  if (!caps) return;
  const array = Array.isArray(body);
  const verdict = await caps.check(
    prepared,
    {
      item: (i) => (kind === 'alertmanager' ? ['alerts', i] : array ? [i] : []),
      source: (i) => prepared.sources[i]?.path ?? formatPath(['source']),
    },
    Math.max(1, deadline - performance.now()),
  );
  if (!verdict) return;
  ctx.deps.metrics.capRefused.inc({ limit: verdict.limit }, inputCount(kind, prepared));
  throw capError(verdict);
}

/** Queues the batch; the check of limits and the enqueue share `server.enqueue_timeout` (`deadline`). */
async function enqueueWithTimeout(ctx: ServerContext, batch: IngestBatch, deadline: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new QueueUnavailableError('the ingest queue did not confirm the batch in time')),
      Math.max(1, deadline - performance.now()),
    );
    timer.unref();
  });
  try {
    await Promise.race([ctx.deps.enqueue(batch), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Inputs of a request as the metrics count them: samples for /v1/metrics, items otherwise. */
function inputCount(kind: Kind, prepared: Prepared): number {
  return kind === 'metrics'
    ? prepared.snapshots.reduce((n, s) => n + Object.keys(s.metrics).length, 0)
    : prepared.items;
}

const INPUT_KIND: Record<Kind, string> = {
  metrics: 'sample',
  events: 'event',
  alerts: 'alert',
  alertmanager: 'alertmanager_alert',
};

function handler(ctx: ServerContext, kind: Kind) {
  const { deps } = ctx;
  return async (req: FastifyRequest, reply: FastifyReply) => {
    const st = requestState(req);
    const principal = principalOf(req);
    const body = req.body;
    if (body === undefined || body === null)
      throw new HttpError(400, 'invalid_json', 'the request body is empty; send a JSON document');

    const count = countItems(kind, body);
    const max = deps.config.max_batch;
    if (count > max)
      throw new HttpError(
        413,
        'batch_too_large',
        `${count} items in one request; the limit is ${max} (server.max_batch): split the batch`,
      );

    const receivedAt = Number.isNaN(st.start) ? deps.clock() : st.start;
    const prepared = prepare(kind, body, ctx, principal, receivedAt, req.log);
    checkSources(ctx, principal, prepared);
    const deadline = performance.now() + deps.config.enqueue_timeout;
    await checkCaps(ctx, kind, body, prepared, deadline);

    const fromClient = req.headers['x-request-id'] === req.id;
    const id = fromClient ? randomUUID() : req.id;
    const batch: IngestBatch = {
      id,
      correlationId: req.id,
      receivedAt,
      snapshots: prepared.snapshots,
      events: prepared.events,
      alerts: prepared.alerts,
    };
    await enqueueWithTimeout(ctx, batch, deadline);

    deps.metrics.inputs.inc({ kind: INPUT_KIND[kind] }, inputCount(kind, prepared));
    if (!Number.isNaN(st.start))
      deps.metrics.ingestLatency.observe({ route: kind }, (deps.clock() - st.start) / 1000);
    req.log.debug(
      { batchId: id, token: principal.name, route: kind, items: prepared.items },
      'batch accepted',
    );
    return reply.code(202).send({ accepted: prepared.items, id });
  };
}

export function registerIngestRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const routes: [string, Kind][] = [
    ['/v1/metrics', 'metrics'],
    ['/v1/events', 'events'],
    ['/v1/alerts', 'alerts'],
    ['/v1/alertmanager', 'alertmanager'],
  ];
  for (const [url, kind] of routes) {
    const hooks = accessHooks(ctx, kind, kind === 'alertmanager' ? 'alertmanager' : 'ingest');
    app.post(url, { onRequest: [hooks.onRequest], preParsing: [hooks.preParsing] }, handler(ctx, kind));
  }
}
