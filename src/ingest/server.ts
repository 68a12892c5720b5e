/**
 * The ingest HTTP server: accepts, validates, authenticates and enqueues; it never evaluates.
 *
 * `buildServer(deps)` returns a Fastify instance that is not listening yet:
 * `await app.listen({ host: config.host, port: config.port })`.
 */
import { randomUUID } from 'node:crypto';
import http, { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import cookie from '@fastify/cookie';
import rateLimit from '@fastify/rate-limit';
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  type FastifyReply,
} from 'fastify';
import { Authenticator } from './auth.js';
import { formatDuration } from '../model/time-text.js';
import { initRequestState, requestState, type IngestDeps, type ServerContext } from './context.js';
import { HttpError, QueueUnavailableError, type ErrorBody } from './errors.js';
import { parseJsonBody } from './json.js';
import { loggedPath, registerAckLinkRoutes } from './routes-ack-link.js';
import { registerAdminRoutes } from './routes-admin.js';
import { registerUiRoutes } from './routes-ui.js';
import { registerDigestRoutes } from './routes-digest.js';
import { registerIngestRoutes } from './routes-ingest.js';
import { registerOpsRoutes } from './routes-ops.js';
import { registerTelegramRoutes } from './routes-telegram.js';

export type { IngestDeps, HealthReport } from './context.js';

const REQUEST_ID_RE = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/**
 * Longest path parameter (alert fingerprint, silence id): the admin routes allow ids of 1-128
 * characters, so a longer one is a 414 before routing.
 */
export const MAX_PATH_PARAM_LENGTH = 128;

interface ErrorAnswer {
  status: number;
  body: ErrorBody;
  headers?: Record<string, string>;
}

function isQueueUnavailable(err: unknown): boolean {
  return (
    err instanceof QueueUnavailableError || (err instanceof Error && err.name === 'QueueUnavailableError')
  );
}

function toErrorAnswer(err: unknown, deps: IngestDeps, requestId: string): ErrorAnswer {
  if (err instanceof HttpError) {
    const a: ErrorAnswer = { status: err.statusCode, body: err.body() };
    if (err.headers) a.headers = err.headers;
    return a;
  }
  if (isQueueUnavailable(err))
    return {
      status: 503,
      body: {
        error: 'queue_unavailable',
        message: 'the queue (Redis) is unavailable, nothing was accepted; send the request again later',
      },
      headers: { 'retry-after': '5' },
    };
  const fe = err as Partial<FastifyError>;
  switch (fe.code) {
    case 'FST_ERR_MAX_PARAM_LENGTH':
      return {
        status: 414,
        body: {
          error: 'uri_too_long',
          message: `the URL is too long: a path parameter (alert fingerprint, silence id) has at most ${MAX_PATH_PARAM_LENGTH} characters`,
        },
      };
    case 'FST_ERR_BAD_URL':
      return {
        status: 400,
        body: { error: 'bad_request', message: 'the URL is not valid (a bad %-escape in the path)' },
      };
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return {
        status: 413,
        body: {
          error: 'payload_too_large',
          message: `the body is larger than the limit of ${deps.config.body_limit} bytes (server.body_limit); send smaller batches`,
        },
      };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return {
        status: 415,
        body: {
          error: 'unsupported_media_type',
          message: 'send a JSON body with Content-Type: application/json',
        },
      };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return {
        status: 400,
        body: { error: 'invalid_json', message: 'the request body is empty; send a JSON document' },
      };
  }
  const status = typeof fe.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500)
    return { status, body: { error: 'bad_request', message: fe.message ?? 'bad request' } };
  return {
    status: 500,
    body: {
      error: 'internal_error',
      message: `internal error; the server log has the details (request id ${requestId})`,
    },
  };
}

/** Node's limit on the request line and headers together (`--max-http-header-size`). */
const HEADER_LIMIT_KIB = Math.round(http.maxHeaderSize / 1024);

/**
 * Errors Node's HTTP parser meets before there is a request (Fastify's `clientErrorHandler`),
 * answered in the shape of every other error. When the request line takes most of the header
 * limit, the URL is too long (414); otherwise the headers are too large (431).
 */
function clientErrorAnswer(err: Error & { code?: string; rawPacket?: unknown }): ErrorAnswer {
  if (err.code === 'HPE_HEADER_OVERFLOW') {
    const raw = Buffer.isBuffer(err.rawPacket) ? err.rawPacket : Buffer.alloc(0);
    const eol = raw.indexOf('\r\n');
    const requestLine = eol < 0 ? raw.length : eol;
    if (requestLine > http.maxHeaderSize / 2)
      return {
        status: 414,
        body: {
          error: 'uri_too_long',
          message: `the URL is too long: the request line and headers may take at most ${HEADER_LIMIT_KIB} KiB`,
        },
      };
    return {
      status: 431,
      body: {
        error: 'headers_too_large',
        message: `the request headers are too large: the request line and headers may take at most ${HEADER_LIMIT_KIB} KiB`,
      },
    };
  }
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT')
    return {
      status: 408,
      body: { error: 'request_timeout', message: 'the request did not arrive in time' },
    };
  return { status: 400, body: { error: 'bad_request', message: 'the request is not valid HTTP/1.1' } };
}

function onClientError(deps: IngestDeps, err: Error & { code?: string }, socket: Socket): void {
  // A connection reset, or a socket already gone: nobody to answer.
  if (err.code === 'ECONNRESET' || socket.destroyed) return;
  if (socket.writable) {
    const a = clientErrorAnswer(err);
    deps.metrics.rejected.inc({ route: 'unmatched', status: String(a.status) });
    const body = JSON.stringify(a.body);
    socket.write(
      `HTTP/1.1 ${a.status} ${STATUS_CODES[a.status] ?? ''}\r\n` +
        'Content-Type: application/json; charset=utf-8\r\n' +
        `Content-Length: ${Buffer.byteLength(body)}\r\n` +
        'Connection: close\r\n\r\n' +
        body,
    );
  }
  socket.destroy(err);
}

/** Builds the ingest server (routes, auth, limits, metrics); call `listen` on it to serve. */
export function buildServer(deps: IngestDeps): FastifyInstance {
  const { config } = deps;
  const logger = deps.logger.child(
    { component: 'ingest' },
    {
      redact: {
        paths: ['req.headers.authorization', 'headers.authorization', 'authorization'],
        censor: '[redacted]',
      },
    },
  );
  const ctx: ServerContext = { deps, auth: new Authenticator(config) };

  const app = Fastify({
    loggerInstance: logger as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'reqId' }),
    bodyLimit: config.body_limit,
    trustProxy: config.trust_proxy,
    requestIdHeader: false,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && REQUEST_ID_RE.test(h) ? h : randomUUID();
    },
    routerOptions: { maxParamLength: MAX_PATH_PARAM_LENGTH },
    // Errors met while routing (a too long path parameter: 414, a bad %-escape: 400), in the
    // shape of every other error.
    frameworkErrors: (err, req, rawReply) => {
      const answer = toErrorAnswer(err, deps, req.id);
      const reply = rawReply as unknown as FastifyReply;
      // No route, so no onResponse hook: count and log the refusal here.
      deps.metrics.rejected.inc({ route: 'unmatched', status: String(answer.status) });
      req.log.info(
        { method: req.method, path: loggedPath(req.url), status: answer.status },
        'request refused',
      );
      void reply
        .code(answer.status)
        .header('x-request-id', req.id)
        .type('application/json; charset=utf-8')
        .send(answer.body);
    },
    clientErrorHandler: (err, socket) => onClientError(deps, err, socket),
  }) as unknown as FastifyInstance;

  for (const access of ['ingest', 'alertmanager', 'admin'] as const) {
    const open = access === 'alertmanager' ? !(config.alertmanager.auth ?? config.auth) : !config.auth;
    if (!open && !ctx.auth.hasCredentials(access))
      logger.warn({ access }, `no credential configured for ${access} routes: they will answer 401`);
  }

  // Only JSON bodies; everything else is a 415.
  app.removeAllContentTypeParsers();
  const parseJson = (
    req: { method: string },
    body: string | Buffer,
    done: (err: Error | null, body?: unknown) => void,
  ) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (text === '' && req.method !== 'POST') return done(null, undefined);
    try {
      done(null, parseJsonBody(text, { maxDepth: config.max_json_depth }));
    } catch (err) {
      done(err as Error, undefined);
    }
  };
  app.addContentTypeParser('application/json', { parseAs: 'string' }, parseJson);
  app.addContentTypeParser(/^application\/[\w.+-]+\+json$/, { parseAs: 'string' }, parseJson);

  app.addHook('onRequest', async (req, reply) => {
    initRequestState(req, deps.clock());
    reply.header('x-request-id', req.id);
  });

  app.addHook('onResponse', async (req, reply) => {
    const st = requestState(req);
    const status = reply.statusCode;
    if (status >= 400 && st.access !== 'open')
      deps.metrics.rejected.inc({ route: st.route ?? 'unmatched', status: String(status) });
    const fields = {
      method: req.method,
      path: loggedPath(req.url),
      status,
      ms: Number.isNaN(st.start) ? undefined : deps.clock() - st.start,
      token: st.principal?.name,
    };
    if (status >= 400 && st.access !== 'open') req.log.info(fields, 'request refused');
    else req.log.debug(fields, 'request');
  });

  app.setErrorHandler((err, req, reply: FastifyReply) => {
    const answer = toErrorAnswer(err, deps, req.id);
    if (answer.status >= 500 && answer.body.error !== 'queue_unavailable')
      req.log.error({ err }, 'request failed');
    else if (answer.status === 503)
      req.log.warn({ err: { message: (err as Error).message } }, 'queue unavailable');
    if (answer.headers) void reply.headers(answer.headers);
    return reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body);
  });

  app.setNotFoundHandler((req, reply) => {
    const path = req.url.split('?')[0]?.slice(0, 200) ?? '';
    return reply.code(404).send({ error: 'not_found', message: `no route ${req.method} ${path}` });
  });

  void app.register(cookie);
  void app.register(rateLimit, {
    global: true,
    max: config.rate_limit.max,
    timeWindow: config.rate_limit.window,
    keyGenerator: (req) => {
      const p = requestState(req).principal;
      return p && p.kind !== 'anonymous' ? `token:${p.name}` : `ip:${req.ip}`;
    },
    errorResponseBuilder: (req, rc) => {
      const p = requestState(req).principal;
      const who = p && p.kind !== 'anonymous' ? `token '${p.name}'` : 'this client';
      return new HttpError(
        429,
        'rate_limited',
        `rate limit of ${rc.max} requests per ${formatDuration(config.rate_limit.window)} exceeded for ${who}; retry in ${rc.after}`,
      );
    },
  });

  void app.register(async (scope) => {
    registerOpsRoutes(scope, ctx);
    registerIngestRoutes(scope, ctx);
    registerAdminRoutes(scope, ctx);
    registerTelegramRoutes(scope, ctx);
    registerAckLinkRoutes(scope, ctx);
    registerDigestRoutes(scope, ctx);
    registerUiRoutes(scope, ctx);
  });

  return app;
}
