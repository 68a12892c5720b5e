/** Admin API backed by AlertApi: list and acknowledge alerts, list, create and delete silences. */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  issuesToErrors,
  parseIsoTime,
  sourceSchema,
  summariseErrors,
  type FieldError,
} from '../model/inputs.js';
import { SEVERITIES } from '../model/severity.js';
import { decodeCursor } from '../state/alert-pages.js';
import type { AlertQuery, SilenceInput } from './alert-api.js';
import { accessHooks, principalOf, redisUnavailable, type ServerContext } from './context.js';
import { tryParseDuration } from '../model/duration.js';
import { HttpError, invalidInput } from './errors.js';
import { isRedisUnavailable } from '../state/redis-errors.js';
import { regexProblem } from '../routing/matchers.js';
import { RECORDED_SERIES } from '../digest/record.js';

export const ID_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
const MATCHER_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;

/** Most alerts one page of `GET /v1/alerts` holds, and how many without `limit`. */
export const MAX_PAGE_LIMIT = 1000;
export const DEFAULT_PAGE_LIMIT = 100;
/** Longest window of `GET /v1/sources/:source/series`. */
export const MAX_SERIES_HOURS = 24;

/** `limit` of a listing (`GET /v1/alerts`, `GET /v1/dead-letters`): 1 to MAX_PAGE_LIMIT. */
const pageLimitSchema = z
  .string()
  .regex(/^\d{1,7}$/, { error: `must be a whole number from 1 to ${MAX_PAGE_LIMIT}` })
  .transform(Number)
  .pipe(
    z
      .number()
      .min(1, { error: `must be a whole number from 1 to ${MAX_PAGE_LIMIT}` })
      .max(MAX_PAGE_LIMIT, { error: `must be at most ${MAX_PAGE_LIMIT}` }),
  )
  .default(DEFAULT_PAGE_LIMIT);

export const listQuerySchema = z.strictObject(
  {
    status: z
      .enum(['pending', 'firing', 'resolved'], { error: 'must be pending, firing or resolved' })
      .optional(),
    severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(', ')}` }).optional(),
    source: sourceSchema.optional(),
    receiver: z
      .string()
      .min(1, { error: 'must not be empty' })
      .max(128, { error: 'is longer than 128 characters' })
      .optional(),
    limit: pageLimitSchema,
    cursor: z
      .string()
      .refine((c) => decodeCursor(c) !== undefined, {
        error: 'is not the cursor of a page (pass the `next` of the previous page as it is)',
      })
      .optional(),
  },
  { error: 'must be an object' },
);

export const ackSchema = z.strictObject(
  {
    by: z.string({ error: 'must be a string' }).min(1).max(128).optional(),
    comment: z.string({ error: 'must be a string' }).max(1024).optional(),
    /** The client that sent it, as the alert's history shows it. */
    via: z.enum(['api', 'cli'], { error: 'must be "api" or "cli"' }).optional(),
    /** How long the acknowledgement holds: a duration (`2h`) or ms. */
    expires: z
      .union([z.string(), z.number()], { error: 'must be a duration such as 2h or 30m' })
      .transform((v, c) => {
        const ms = typeof v === 'number' ? v : tryParseDuration(v);
        if (ms === undefined || ms <= 0) {
          c.addIssue({ code: 'custom', message: 'must be a duration such as 2h or 30m' });
          return z.NEVER;
        }
        return ms;
      })
      .optional(),
  },
  { error: 'must be an object' },
);

export const silenceSchema = z.strictObject(
  {
    matchers: z
      .array(
        z.strictObject(
          {
            name: z
              .string({ error: 'must be a string' })
              .max(128)
              .regex(MATCHER_NAME_RE, { error: 'must be a label name (letters, digits and _ . -)' }),
            value: z.string({ error: 'must be a string' }).max(1024),
            op: z.enum(['=', '!=', '=~', '!~'], { error: 'must be one of = != =~ !~' }).default('='),
          },
          { error: 'must be an object {name, value, op}' },
        ),
        { error: 'must be an array of matchers' },
      )
      .min(1, { error: 'needs at least one matcher' })
      .max(32, { error: 'has more than 32 matchers' }),
    startsAt: z.string({ error: 'must be an ISO 8601 string' }).optional(),
    endsAt: z.string({ error: 'must be an ISO 8601 string' }).optional(),
    duration: z.string({ error: 'must be a duration such as 2h or 30m' }).optional(),
    createdBy: z.string({ error: 'must be a string' }).min(1).max(128),
    comment: z.string({ error: 'must be a string' }).max(1024).default(''),
  },
  { error: 'must be an object' },
);

export function parseOrThrow<S extends z.ZodType>(
  schema: S,
  value: unknown,
  prefix: PropertyKey[] = [],
): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const errors = issuesToErrors(r.error.issues, prefix);
    throw invalidInput(summariseErrors(errors), errors);
  }
  return r.data;
}

/**
 * The query string as names and values. A name given twice (`?status=a&status=b`) stays an
 * array, which the schema refuses with the name.
 */
function queryOf(req: FastifyRequest): Record<string, unknown> {
  const q = req.query;
  return q !== null && typeof q === 'object' ? (q as Record<string, unknown>) : {};
}

function pathParam(req: FastifyRequest, name: string): string {
  const v = (req.params as Record<string, string | undefined>)[name] ?? '';
  if (!ID_RE.test(v)) {
    const errors = [{ path: name, message: 'must be 1-128 letters, digits and _ . : -' }];
    throw invalidInput(summariseErrors(errors), errors);
  }
  return v;
}

export function buildSilence(raw: unknown, now: number): SilenceInput {
  const v = parseOrThrow(silenceSchema, raw);
  const errors: FieldError[] = [];
  v.matchers.forEach((m, i) => {
    const problem = m.op === '=~' || m.op === '!~' ? regexProblem(m.value) : undefined;
    if (problem) errors.push({ path: `matchers[${i}].value`, message: problem });
  });
  let startsAt = now;
  if (v.startsAt !== undefined) {
    const t = parseIsoTime(v.startsAt);
    if (t === undefined) errors.push({ path: 'startsAt', message: 'is not an ISO 8601 date-time' });
    else startsAt = Math.max(t, now);
  }
  let endsAt: number | undefined;
  if (v.endsAt !== undefined && v.duration !== undefined)
    errors.push({ path: 'duration', message: 'give endsAt or duration, not both' });
  else if (v.endsAt !== undefined) {
    endsAt = parseIsoTime(v.endsAt);
    if (endsAt === undefined) errors.push({ path: 'endsAt', message: 'is not an ISO 8601 date-time' });
  } else if (v.duration !== undefined) {
    const d = tryParseDuration(v.duration);
    if (d === undefined || d <= 0)
      errors.push({ path: 'duration', message: 'is not a duration such as 2h or 30m' });
    else endsAt = startsAt + d;
  } else errors.push({ path: 'endsAt', message: 'is required (or give duration)' });
  if (endsAt !== undefined && endsAt <= startsAt)
    errors.push({
      path: v.duration !== undefined ? 'duration' : 'endsAt',
      message: 'must be after the start',
    });
  if (errors.length > 0 || endsAt === undefined) throw invalidInput(summariseErrors(errors), errors);
  return { matchers: v.matchers, startsAt, endsAt, createdBy: v.createdBy, comment: v.comment };
}

/**
 * Runs one call to the alert store, bounded by `server.enqueue_timeout`. Redis being unreachable
 * (the API's connection fails fast) or too slow gives 503 with Retry-After; any other error is
 * left as it is (a 500: a Klaxon bug, logged with its stack).
 */
export async function withRedis<T>(ctx: ServerContext, call: () => Promise<T>): Promise<T> {
  const ms = ctx.deps.config.enqueue_timeout;
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () =>
        reject(redisUnavailable(undefined, `Redis did not answer within ${ms} ms (server.enqueue_timeout)`)),
      ms,
    );
    timer.unref();
  });
  try {
    return await Promise.race([call(), timeout]);
  } catch (err) {
    if (err instanceof HttpError || !isRedisUnavailable(err)) throw err;
    throw redisUnavailable(err);
  } finally {
    clearTimeout(timer);
  }
}

export const seriesQuerySchema = z.strictObject(
  {
    metric: z.enum([...RECORDED_SERIES, 'heartbeats'], {
      error: `must be one of ${[...RECORDED_SERIES, 'heartbeats'].join(', ')}`,
    }),
    hours: z
      .string()
      .regex(/^\d{1,2}$/, { error: `must be a whole number of hours from 1 to ${MAX_SERIES_HOURS}` })
      .transform(Number)
      .pipe(
        z
          .number()
          .min(1, { error: `must be a whole number of hours from 1 to ${MAX_SERIES_HOURS}` })
          .max(MAX_SERIES_HOURS, { error: `must be at most ${MAX_SERIES_HOURS}` }),
      )
      .default(6),
  },
  { error: 'must be an object' },
);

export const deadLetterQuerySchema = z.strictObject(
  {
    limit: pageLimitSchema,
  },
  { error: 'must be an object' },
);

export function registerAdminRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { deps } = ctx;
  const alerts = deps.alerts;
  const admin = (route: string) => {
    const h = accessHooks(ctx, route, 'admin');
    return { onRequest: [h.onRequest], preParsing: [h.preParsing] };
  };

  app.get('/v1/alerts', admin('alerts_list'), async (req: FastifyRequest) => {
    const q = parseOrThrow(listQuerySchema, queryOf(req));
    const query: AlertQuery = { limit: q.limit };
    if (q.status !== undefined) query.status = q.status;
    if (q.severity !== undefined) query.severity = q.severity;
    if (q.source !== undefined) query.source = q.source;
    if (q.receiver !== undefined) query.receiver = q.receiver;
    if (q.cursor !== undefined) query.cursor = q.cursor;
    return withRedis(ctx, () => alerts.listAlerts(query));
  });

  // The link notifications carry (with `server.public_url`).
  app.get('/v1/alerts/:fingerprint', admin('alerts_get'), async (req: FastifyRequest) => {
    const fingerprint = pathParam(req, 'fingerprint');
    const alert = await withRedis(ctx, () => alerts.getAlert(fingerprint));
    if (!alert) throw new HttpError(404, 'not_found', `no alert with fingerprint ${fingerprint}`);
    return { alert };
  });

  app.get('/v1/alerts/:fingerprint/history', admin('alerts_history'), async (req: FastifyRequest) => {
    const fingerprint = pathParam(req, 'fingerprint');
    const found = await withRedis(ctx, () => alerts.alertHistory(fingerprint));
    if (!found) throw new HttpError(404, 'not_found', `no alert with fingerprint ${fingerprint}`);
    return found;
  });

  app.post(
    '/v1/alerts/:fingerprint/ack',
    admin('alerts_ack'),
    async (req: FastifyRequest, reply: FastifyReply) => {
      const fingerprint = pathParam(req, 'fingerprint');
      const body = parseOrThrow(ackSchema, req.body ?? {});
      const at = deps.clock();
      const ack = {
        by: body.by ?? principalOf(req).name,
        at,
        via: body.via ?? (principalOf(req).kind === 'session' ? 'ui' : 'api'),
        ...(body.comment ? { comment: body.comment } : {}),
        ...(body.expires !== undefined ? { until: at + body.expires } : {}),
      };
      const res = await withRedis(ctx, () => alerts.acknowledge(fingerprint, ack));
      if (res.outcome === 'unknown')
        throw new HttpError(404, 'not_found', `no alert with fingerprint ${fingerprint}`);
      if (res.outcome === 'not-firing')
        throw new HttpError(
          409,
          'not_firing',
          `alert ${fingerprint} is resolved: there is nothing to acknowledge`,
        );
      // Applied by the alert's lane in order with its other inputs; the receivers hear of it.
      return reply.code(202).send({ accepted: true, fingerprint, acknowledged: ack });
    },
  );

  app.get('/v1/silences', admin('silences_list'), async () => ({
    silences: await withRedis(ctx, () => alerts.listSilences()),
  }));

  app.post('/v1/silences', admin('silences_create'), async (req: FastifyRequest, reply: FastifyReply) => {
    if (req.body === undefined || req.body === null)
      throw new HttpError(400, 'invalid_json', 'the request body is empty; send a JSON silence');
    const input = buildSilence(req.body, deps.clock());
    const silence = await withRedis(ctx, () => alerts.createSilence(input));
    return reply.code(201).send({ id: silence.id, silence });
  });

  app.delete('/v1/silences/:id', admin('silences_delete'), async (req: FastifyRequest) => {
    const id = pathParam(req, 'id');
    if (!(await withRedis(ctx, () => alerts.deleteSilence(id))))
      throw new HttpError(404, 'not_found', `no silence with id ${id}`);
    return { deleted: true, id };
  });

  // The bots: what the console's sources page shows.
  const sources = () => {
    if (!deps.sources) throw new HttpError(404, 'not_found', 'sources are not available on this server');
    return deps.sources;
  };
  app.get('/v1/sources', admin('sources_list'), async () => {
    const api = sources();
    return { sources: await withRedis(ctx, () => api.list()) };
  });
  app.get('/v1/sources/:source/series', admin('sources_series'), async (req: FastifyRequest) => {
    const api = sources();
    const source = parseOrThrow(sourceSchema, (req.params as { source?: string }).source, ['source']);
    const q = parseOrThrow(seriesQuerySchema, queryOf(req));
    const points = await withRedis(ctx, () => api.series(source, q.metric, q.hours));
    return { source, metric: q.metric, hours: q.hours, points };
  });

  // Dead letters: notifications that could not be delivered, and sending one again.
  const deadLetters = () => {
    if (!deps.deadLetters)
      throw new HttpError(404, 'not_found', 'dead letters are not available on this server');
    return deps.deadLetters;
  };
  app.get('/v1/dead-letters', admin('dead_letters_list'), async (req: FastifyRequest) => {
    const api = deadLetters();
    const q = parseOrThrow(deadLetterQuerySchema, queryOf(req));
    return withRedis(ctx, () => api.list(q.limit));
  });
  app.post(
    '/v1/dead-letters/:id/retry',
    admin('dead_letters_retry'),
    async (req: FastifyRequest, reply: FastifyReply) => {
      const api = deadLetters();
      const id = pathParam(req, 'id');
      const outcome = await withRedis(ctx, () => api.retry(id));
      if (outcome === 'unknown')
        throw new HttpError(404, 'not_found', `no dead letter of notification ${id}`);
      if (outcome === 'no-receiver')
        throw new HttpError(409, 'no_receiver', `the receiver of notification ${id} is no longer configured`);
      if (outcome === 'partial')
        throw new HttpError(
          409,
          'partial',
          `only one recipient of notification ${id} refused it; sending it again would reach every recipient twice`,
        );
      return reply.code(202).send({ retried: id });
    },
  );
}
