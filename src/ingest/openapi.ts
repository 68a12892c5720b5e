/**
 * The HTTP API as an OpenAPI 3.1 document (`GET /openapi.json`), built from the zod schemas that
 * validate the requests: a body, a query or a path parameter is described by the very schema its
 * route parses it with (`z.toJSONSchema`, input side, so defaults and transforms show what a
 * client sends). `ROUTES` below is the one table: a route, its access, and its schemas.
 * test/ingest/openapi.test.ts holds it to the routes the server registers and to docs/api.md.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { REPO_ROOT } from '../config/paths.js';
import {
  directAlertInputSchema,
  eventInputSchema,
  severitySchema,
  snapshotInputSchema,
  sourceSchema,
  tsSchema,
} from '../model/inputs.js';
import { SEVERITIES } from '../model/severity.js';
import { alertmanagerPayloadSchema } from './alertmanager.js';
import { SESSION_COOKIE } from './context.js';
import { MAX_REPORTED_ERRORS, type ErrorBody } from './errors.js';
import { MAX_BY, MAX_COMMENT } from './routes-ack-link.js';
import {
  ackSchema,
  deadLetterQuerySchema,
  ID_RE,
  listQuerySchema,
  seriesQuerySchema,
  silenceSchema,
} from './routes-admin.js';
import { querySchema as digestQuerySchema } from './routes-digest.js';
import { RECEIVER_RE, TELEGRAM_SECRET_HEADER } from './routes-telegram.js';
import { loginSchema } from './routes-ui.js';

export type JsonSchema = Record<string, unknown>;

export interface OpenApiDocument {
  openapi: '3.1.0';
  info: { title: string; version: string; description: string };
  tags: { name: string; description: string }[];
  paths: Record<string, Record<string, unknown>>;
  components: {
    schemas: Record<string, JsonSchema>;
    securitySchemes: Record<string, JsonSchema>;
  };
}

export interface OpenApiOptions {
  /** The version in `info` (default: package.json's). */
  version?: string;
  /** Whether the web console's routes (`/ui`...) are served: `server.ui.enabled` and sessions. */
  ui?: boolean;
}

// ---------------------------------------------------------------------------------------------
// Schemas

/**
 * What zod cannot tell from a schema: a transform's input is `unknown` (`ts`) or any string
 * (`severity`); these say what the transform takes.
 */
const TRANSFORM_INPUTS = new Map<z.core.$ZodType, JsonSchema>([
  [
    tsSchema,
    {
      type: ['string', 'number'],
      description:
        'An ISO 8601 date-time (no offset means UTC), epoch seconds (< 1e11) or epoch milliseconds; absent means the receive time',
    },
  ],
  [
    severitySchema,
    {
      type: 'string',
      description: `${SEVERITIES.join(', ')}, or an alias (error, warn, medium, low, debug, fatal...), case-insensitive`,
    },
  ],
]);

/** A zod schema as JSON Schema 2020-12 (the dialect of OpenAPI 3.1), as the client sends it. */
export function jsonSchemaOf(schema: z.ZodType): JsonSchema {
  const out = z.toJSONSchema(schema, {
    io: 'input',
    unrepresentable: 'any',
    target: 'draft-2020-12',
    override: (ctx) => {
      const known = TRANSFORM_INPUTS.get(ctx.zodSchema);
      if (known) Object.assign(ctx.jsonSchema, known);
    },
  }) as JsonSchema;
  delete out.$schema;
  return out;
}

/** Every error answer: `{error, message, errors?}` (src/ingest/errors.ts). */
const errorSchema = z.object({
  error: z.string(),
  message: z.string(),
  errors: z
    .array(z.object({ path: z.string(), message: z.string() }))
    .max(MAX_REPORTED_ERRORS)
    .optional(),
}) satisfies z.ZodType<ErrorBody>;

/** The components every body and error points at, by name. */
const SCHEMAS = {
  Error: errorSchema,
  Snapshot: snapshotInputSchema,
  Event: eventInputSchema,
  DirectAlert: directAlertInputSchema,
  AlertmanagerWebhook: alertmanagerPayloadSchema,
  Acknowledge: ackSchema,
  Silence: silenceSchema,
  Login: loginSchema,
} satisfies Record<string, z.ZodType>;

/** Bodies parsed by hand, with the limits their routes check. */
const HAND_PARSED = {
  AckForm: {
    type: 'object',
    description: 'The form of an acknowledge link; blank fields count as absent',
    properties: {
      by: { type: 'string', maxLength: MAX_BY, description: 'Who acknowledges (default: anonymous)' },
      comment: { type: 'string', maxLength: MAX_COMMENT },
    },
  },
  TelegramUpdate: {
    type: 'object',
    description:
      'A Telegram Update (https://core.telegram.org/bots/api#update); only callback queries of Acknowledge buttons are acted on',
  },
} satisfies Record<string, JsonSchema>;

type SchemaName = keyof typeof SCHEMAS | keyof typeof HAND_PARSED;

const ref = (name: SchemaName) => ({ $ref: `#/components/schemas/${name}` });

// ---------------------------------------------------------------------------------------------
// Routes

type Method = 'get' | 'post' | 'delete';
type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 429 | 503;

/**
 * Who may call a route: `open` (no credentials: ops routes, the login, the pages), `ingest`
 * (a bearer token), `alertmanager` (basic or bearer), `admin` (a bearer token with `admin: true`,
 * or the web console's login cookie, with its CSRF header on a change), `link` (the signed token
 * in the path), `telegram` (the receiver's secret header), `session` (the login cookie).
 */
type Access = 'open' | 'ingest' | 'alertmanager' | 'admin' | 'link' | 'telegram' | 'session' | 'logout';

interface Answer {
  status: number;
  description: string;
  /** Media types of the body; none for an answer without one. Default: JSON. */
  media?: string[];
}

interface Route {
  id: string;
  method: Method;
  /** As Fastify registers it: `/v1/alerts/:fingerprint`. */
  path: string;
  tag: string;
  summary: string;
  access: Access;
  /** The schema of each `:param` of the path. */
  params?: Record<string, z.ZodType | JsonSchema>;
  /** The schema the route parses its query string with (a strict object). */
  query?: z.ZodObject;
  body?: {
    schema: SchemaName;
    /** One item or a non-empty array of them. */
    batch?: boolean;
    /** The route takes no body as an empty one. */
    optional?: boolean;
    media?: string[];
  };
  ok: Answer;
  /** Other answers that are not errors (`/ready`'s 503). */
  also?: Answer[];
  /** Error answers: a status (with the usual meaning) or a status and what it means here. */
  errors: (ErrorStatus | [ErrorStatus, string])[];
  /** Errors other than 413, 415 and 429 are HTML pages (the pages behind links). */
  pages?: boolean;
}

const JSON_TYPES = ['application/json'];
const HTML = ['text/html'];

const ERROR_TEXT: Record<ErrorStatus, string> = {
  400: 'Invalid input: `errors` names each bad field by its path (`[3].metrics.equity`, `limit`)',
  401: 'Credentials missing, malformed or unknown (`WWW-Authenticate` names the schemes)',
  403: 'The token lacks the admin scope, or a change made with the login cookie lacks its CSRF header',
  404: 'Not found',
  409: 'Conflict',
  413: 'The body is over `server.body_limit`',
  415: 'The body is not JSON',
  429: 'Over `server.rate_limit`; `Retry-After` says when to try again',
  503: 'Redis is unavailable or too slow: nothing was done; `Retry-After: 5`',
};

/** The errors of every route that takes a JSON body and a credential. */
const INGEST_ERRORS: Route['errors'] = [
  400,
  401,
  [403, 'The token may not push a source of the body (`errors` names each item)'],
  [413, 'The body is over `server.body_limit`, or holds more than `server.max_batch` items'],
  415,
  429,
  [503, 'The queue (Redis) did not take the batch: nothing was accepted; `Retry-After: 5`'],
];
const ADMIN_READ: Route['errors'] = [401, 403, 429, 503];
const ADMIN_CHANGE: Route['errors'] = [400, 401, 403, 413, 415, 429, 503];
const ACCEPTED: Answer = { status: 202, description: 'Queued: `{accepted, id}` (items, batch id)' };
const idParam: JsonSchema = { type: 'string', pattern: ID_RE.source };
const linkToken: JsonSchema = { type: 'string', description: 'The signed token of the link' };

const ROUTES: Route[] = [
  // Operations
  {
    id: 'live',
    method: 'get',
    path: '/live',
    tag: 'Operations',
    summary: 'The process is up',
    access: 'open',
    ok: { status: 200, description: '`{"status":"ok"}`' },
    errors: [],
  },
  {
    id: 'ready',
    method: 'get',
    path: '/ready',
    tag: 'Operations',
    summary: 'Ready to take inputs (Redis answers)',
    access: 'open',
    ok: { status: 200, description: '`{"ready":true}`' },
    also: [{ status: 503, description: '`{"ready":false}`' }],
    errors: [],
  },
  {
    id: 'health',
    method: 'get',
    path: '/health',
    tag: 'Operations',
    summary: 'Redis, queues, workers, receivers and dead letters',
    access: 'open',
    ok: { status: 200, description: 'The report, `status` `ok` or `degraded`' },
    also: [{ status: 503, description: 'The report, `status` `down`' }],
    errors: [],
  },
  {
    id: 'metrics',
    method: 'get',
    path: '/metrics',
    tag: 'Operations',
    summary: 'Prometheus metrics',
    access: 'open',
    ok: { status: 200, description: 'Prometheus text format', media: ['text/plain'] },
    errors: [],
  },
  {
    id: 'openapi',
    method: 'get',
    path: '/openapi.json',
    tag: 'Operations',
    summary: 'This document',
    access: 'open',
    ok: { status: 200, description: 'The OpenAPI 3.1 document of the API' },
    errors: [],
  },

  // Ingest
  {
    id: 'pushMetrics',
    method: 'post',
    path: '/v1/metrics',
    tag: 'Ingest',
    summary: 'Push metric snapshots',
    access: 'ingest',
    body: { schema: 'Snapshot', batch: true },
    ok: ACCEPTED,
    errors: INGEST_ERRORS,
  },
  {
    id: 'pushEvents',
    method: 'post',
    path: '/v1/events',
    tag: 'Ingest',
    summary: 'Push bot events',
    access: 'ingest',
    body: { schema: 'Event', batch: true },
    ok: ACCEPTED,
    errors: INGEST_ERRORS,
  },
  {
    id: 'pushAlerts',
    method: 'post',
    path: '/v1/alerts',
    tag: 'Ingest',
    summary: 'Push alerts the bot raises itself',
    access: 'ingest',
    body: { schema: 'DirectAlert', batch: true },
    ok: ACCEPTED,
    errors: INGEST_ERRORS,
  },
  {
    id: 'alertmanagerWebhook',
    method: 'post',
    path: '/v1/alertmanager',
    tag: 'Ingest',
    summary: "Prometheus Alertmanager's webhook (version 4)",
    access: 'alertmanager',
    body: { schema: 'AlertmanagerWebhook' },
    ok: ACCEPTED,
    errors: INGEST_ERRORS,
  },

  // Admin
  {
    id: 'listAlerts',
    method: 'get',
    path: '/v1/alerts',
    tag: 'Admin',
    summary: 'A page of the alerts Klaxon knows, newest first',
    access: 'admin',
    query: listQuerySchema,
    ok: { status: 200, description: '`{alerts, next?}`: follow `next` until it is absent' },
    errors: [400, ...ADMIN_READ],
  },
  {
    id: 'getAlert',
    method: 'get',
    path: '/v1/alerts/:fingerprint',
    tag: 'Admin',
    summary: 'One alert',
    access: 'admin',
    params: { fingerprint: idParam },
    ok: { status: 200, description: '`{alert}`' },
    errors: [400, ...ADMIN_READ, [404, 'No alert with this fingerprint']],
  },
  {
    id: 'alertHistory',
    method: 'get',
    path: '/v1/alerts/:fingerprint/history',
    tag: 'Admin',
    summary: 'An alert and its log, newest first',
    access: 'admin',
    params: { fingerprint: idParam },
    ok: { status: 200, description: '`{alert?, history}`' },
    errors: [400, ...ADMIN_READ, [404, 'Neither the alert nor its log']],
  },
  {
    id: 'acknowledgeAlert',
    method: 'post',
    path: '/v1/alerts/:fingerprint/ack',
    tag: 'Admin',
    summary: 'Acknowledge a firing alert',
    access: 'admin',
    params: { fingerprint: idParam },
    body: { schema: 'Acknowledge', optional: true },
    ok: { status: 202, description: "`{accepted, fingerprint, acknowledged}`: applied in the alert's lane" },
    errors: [
      ...ADMIN_CHANGE,
      [404, 'No alert with this fingerprint'],
      [409, 'The alert has resolved: nothing to acknowledge'],
    ],
  },
  {
    id: 'listSilences',
    method: 'get',
    path: '/v1/silences',
    tag: 'Admin',
    summary: 'Silences not yet expired, active and scheduled',
    access: 'admin',
    ok: { status: 200, description: '`{silences}`' },
    errors: ADMIN_READ,
  },
  {
    id: 'createSilence',
    method: 'post',
    path: '/v1/silences',
    tag: 'Admin',
    summary: 'Create a silence (give `endsAt` or `duration`, not both)',
    access: 'admin',
    body: { schema: 'Silence' },
    ok: { status: 201, description: '`{id, silence}`' },
    errors: ADMIN_CHANGE,
  },
  {
    id: 'deleteSilence',
    method: 'delete',
    path: '/v1/silences/:id',
    tag: 'Admin',
    summary: 'Expire a silence',
    access: 'admin',
    params: { id: idParam },
    ok: { status: 200, description: '`{deleted: true, id}`' },
    errors: [400, ...ADMIN_READ, [404, 'No silence with this id']],
  },
  {
    id: 'listSources',
    method: 'get',
    path: '/v1/sources',
    tag: 'Admin',
    summary: 'The bots Klaxon tracks',
    access: 'admin',
    ok: { status: 200, description: '`{sources}`' },
    errors: [...ADMIN_READ, [404, 'This server keeps no sources']],
  },
  {
    id: 'sourceSeries',
    method: 'get',
    path: '/v1/sources/:source/series',
    tag: 'Admin',
    summary: 'One point a minute of a recorded series of a bot',
    access: 'admin',
    params: { source: sourceSchema },
    query: seriesQuerySchema,
    ok: { status: 200, description: '`{source, metric, hours, points}`, oldest first' },
    errors: [400, ...ADMIN_READ, [404, 'This server keeps no sources']],
  },
  {
    id: 'listDeadLetters',
    method: 'get',
    path: '/v1/dead-letters',
    tag: 'Admin',
    summary: 'Notifications that could not be delivered, newest first',
    access: 'admin',
    query: deadLetterQuerySchema,
    ok: { status: 200, description: '`{count, deadLetters}`' },
    errors: [400, ...ADMIN_READ, [404, 'This server keeps no dead letters']],
  },
  {
    id: 'retryDeadLetter',
    method: 'post',
    path: '/v1/dead-letters/:id/retry',
    tag: 'Admin',
    summary: 'Send a dead letter again',
    access: 'admin',
    params: { id: idParam },
    ok: { status: 202, description: '`{retried}`: queued again as a new delivery' },
    errors: [
      400,
      ...ADMIN_READ,
      [404, 'No dead letter of this notification'],
      [409, '`no_receiver`: its receiver is gone; `partial`: only one recipient refused it'],
    ],
  },

  // Digest
  {
    id: 'digest',
    method: 'get',
    path: '/v1/digest',
    tag: 'Digest',
    summary: 'The digest of a window, computed now',
    access: 'admin',
    query: digestQuerySchema,
    ok: {
      status: 200,
      description: 'The report: JSON, text or an HTML page (`format`)',
      media: ['application/json', 'text/plain', 'text/html'],
    },
    errors: [400, ...ADMIN_READ, [404, 'This server serves no digest']],
  },
  {
    id: 'digestLink',
    method: 'get',
    path: '/v1/digest/view/:token',
    tag: 'Links',
    summary: 'The digest behind a signed link, as it was sent',
    access: 'link',
    params: { token: linkToken },
    ok: { status: 200, description: 'The digest page', media: HTML },
    errors: [
      [403, 'The link is not valid or has expired'],
      [404, 'Links are off, or the digest is no longer kept'],
      429,
      503,
    ],
    pages: true,
  },

  // Acknowledge links
  {
    id: 'ackLinkPage',
    method: 'get',
    path: '/v1/ack/:token',
    tag: 'Links',
    summary: 'The alert of an acknowledge link and its form; changes nothing',
    access: 'link',
    params: { token: linkToken },
    ok: { status: 200, description: 'The alert and the form', media: HTML },
    errors: [
      [403, 'The link is not valid or has expired'],
      [404, 'Links are off, or Klaxon no longer knows the alert'],
      [409, 'The alert has resolved'],
      429,
      503,
    ],
    pages: true,
  },
  {
    id: 'ackLinkSubmit',
    method: 'post',
    path: '/v1/ack/:token',
    tag: 'Links',
    summary: 'Acknowledge the alert of a link (its form)',
    access: 'link',
    params: { token: linkToken },
    body: {
      schema: 'AckForm',
      optional: true,
      media: ['application/x-www-form-urlencoded', 'application/json'],
    },
    ok: { status: 200, description: 'Acknowledged: a confirmation page', media: HTML },
    errors: [
      [400, 'The name or comment is too long'],
      [403, 'The link is not valid or has expired'],
      [404, 'Links are off, or Klaxon no longer knows the alert'],
      [409, 'The alert has resolved'],
      [413, 'The form is over 8 KiB'],
      [415, 'Neither a form nor JSON'],
      429,
      503,
    ],
    pages: true,
  },

  // Telegram
  {
    id: 'telegramWebhook',
    method: 'post',
    path: '/v1/telegram/:receiver',
    tag: 'Telegram',
    summary: 'Presses of Acknowledge buttons, posted by Telegram (`updates.mode: webhook`)',
    access: 'telegram',
    params: { receiver: { type: 'string', pattern: RECEIVER_RE.source } },
    body: { schema: 'TelegramUpdate' },
    ok: { status: 200, description: '`{ok: true, outcome}`, whatever became of the press' },
    errors: [
      400,
      [403, "The secret header does not match the receiver's `updates.secret_token`"],
      [404, 'No Telegram receiver of this name takes presses by webhook'],
      413,
      415,
      429,
    ],
  },

  // Web console
  {
    id: 'uiLogin',
    method: 'post',
    path: '/ui/login',
    tag: 'Web console',
    summary: 'Log in with an admin token: sets the login cookie',
    access: 'open',
    body: { schema: 'Login' },
    ok: { status: 200, description: `\`{name, csrf}\`; sets the cookie \`${SESSION_COOKIE}\`` },
    errors: [
      400,
      [401, 'Unknown token'],
      [403, 'The token lacks the admin scope'],
      413,
      415,
      [429, 'Ten attempts a minute per client address'],
      503,
    ],
  },
  {
    id: 'uiSession',
    method: 'get',
    path: '/ui/session',
    tag: 'Web console',
    summary: 'The login of the cookie',
    access: 'session',
    ok: { status: 200, description: '`{name, csrf}`' },
    errors: [[401, 'Not logged in'], 429, 503],
  },
  {
    id: 'uiLogout',
    method: 'post',
    path: '/ui/logout',
    tag: 'Web console',
    summary: 'End the login of the cookie',
    access: 'logout',
    ok: { status: 204, description: 'Logged out; the cookie is cleared', media: [] },
    errors: [[403, 'The CSRF header of the session is missing or wrong'], 429, 503],
  },
  {
    id: 'uiRedirect',
    method: 'get',
    path: '/ui',
    tag: 'Web console',
    summary: 'Redirects to `/ui/`',
    access: 'open',
    ok: { status: 302, description: 'To `/ui/`', media: [] },
    errors: [429],
  },
  {
    id: 'uiPage',
    method: 'get',
    path: '/ui/',
    tag: 'Web console',
    summary: "The web console's page (its files are under `/ui/`)",
    access: 'open',
    ok: { status: 200, description: 'The page', media: HTML },
    errors: [429, [503, 'The web console is not built (`npm run build`)']],
  },
];

const TAGS: OpenApiDocument['tags'] = [
  { name: 'Operations', description: 'Liveness, readiness, health, metrics: no credentials, no rate limit' },
  { name: 'Ingest', description: 'What bots and Alertmanager push: validated, authorised, queued' },
  { name: 'Admin', description: 'Alerts, silences, sources and dead letters: an admin token or a login' },
  { name: 'Digest', description: 'The daily digest' },
  { name: 'Links', description: 'Pages behind signed links: the link is the credential' },
  { name: 'Telegram', description: 'Where Telegram posts button presses' },
  { name: 'Web console', description: "The console's page and its login" },
];

const SECURITY_SCHEMES: Record<string, JsonSchema> = {
  bearer: {
    type: 'http',
    scheme: 'bearer',
    description: 'A token of `server.tokens`; admin routes need one with `admin: true`',
  },
  basic: {
    type: 'http',
    scheme: 'basic',
    description: '`server.alertmanager.username` and `password` (`POST /v1/alertmanager` only)',
  },
  session: {
    type: 'apiKey',
    in: 'cookie',
    name: SESSION_COOKIE,
    description: "The web console's login (`POST /ui/login`), instead of an admin token",
  },
  csrf: {
    type: 'apiKey',
    in: 'header',
    name: 'X-Klaxon-CSRF',
    description: "The login's `csrf`: every change made with the login cookie carries it",
  },
  telegramSecret: {
    type: 'apiKey',
    in: 'header',
    name: TELEGRAM_SECRET_HEADER,
    description: "The receiver's `updates.secret_token`",
  },
};

type Requirement = Record<string, string[]>;

function security(access: Access, method: Method): Requirement[] {
  switch (access) {
    case 'open':
    case 'link':
      return [];
    case 'ingest':
      return [{ bearer: [] }];
    case 'alertmanager':
      return [{ basic: [] }, { bearer: [] }];
    case 'admin':
      return [{ bearer: [] }, method === 'get' ? { session: [] } : { session: [], csrf: [] }];
    case 'telegram':
      return [{ telegramSecret: [] }];
    case 'session':
      return [{ session: [] }];
    case 'logout':
      // Without a login there is nothing to end, and the answer is the same 204.
      return [{ session: [], csrf: [] }, {}];
  }
}

// ---------------------------------------------------------------------------------------------
// The document

/** `/v1/alerts/:fingerprint` -> `/v1/alerts/{fingerprint}`. */
export function openApiPath(fastifyPath: string): string {
  return fastifyPath.replace(/:([A-Za-z_][A-Za-z0-9_]*)/g, '{$1}');
}

function schemaOf(s: z.ZodType | JsonSchema): JsonSchema {
  return '_zod' in s ? jsonSchemaOf(s as z.ZodType) : s;
}

function parameters(route: Route): JsonSchema[] {
  const out: JsonSchema[] = [];
  for (const [, name] of route.path.matchAll(/:([A-Za-z_][A-Za-z0-9_]*)/g)) {
    const schema = name === undefined ? undefined : route.params?.[name];
    if (!schema) throw new Error(`openapi: no schema for :${name} of ${route.path}`);
    out.push({ name, in: 'path', required: true, schema: schemaOf(schema) });
  }
  if (route.query) {
    const q = jsonSchemaOf(route.query);
    const required = new Set((q.required as string[] | undefined) ?? []);
    for (const [name, schema] of Object.entries((q.properties as Record<string, JsonSchema>) ?? {}))
      out.push({ name, in: 'query', required: required.has(name), schema });
  }
  return out;
}

function requestBody(body: NonNullable<Route['body']>): JsonSchema {
  const item = ref(body.schema);
  const schema = body.batch
    ? {
        oneOf: [item, { type: 'array', minItems: 1, items: item }],
        description: 'One item or a non-empty array of them (at most `server.max_batch`)',
      }
    : item;
  const content = Object.fromEntries((body.media ?? JSON_TYPES).map((m) => [m, { schema }]));
  return { required: !body.optional, content };
}

function responses(route: Route): Record<string, JsonSchema> {
  const answer = (a: Answer) => {
    const media = a.media ?? JSON_TYPES;
    return media.length === 0
      ? { description: a.description }
      : { description: a.description, content: Object.fromEntries(media.map((m) => [m, {}])) };
  };
  const out: Record<string, JsonSchema> = {};
  for (const a of [route.ok, ...(route.also ?? [])]) out[String(a.status)] = answer(a);
  for (const e of route.errors) {
    const [status, description] = typeof e === 'number' ? [e, ERROR_TEXT[e]] : e;
    const page = route.pages && status !== 413 && status !== 415 && status !== 429;
    out[String(status)] = page
      ? { description: `${description} (a page)`, content: { 'text/html': {} } }
      : { description, content: { 'application/json': { schema: ref('Error') } } };
  }
  return out;
}

function operation(route: Route): JsonSchema {
  const op: JsonSchema = {
    operationId: route.id,
    summary: route.summary,
    tags: [route.tag],
    security: security(route.access, route.method),
  };
  const params = parameters(route);
  if (params.length > 0) op.parameters = params;
  if (route.body) op.requestBody = requestBody(route.body);
  op.responses = responses(route);
  return op;
}

function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(path.join(REPO_ROOT, 'package.json'), 'utf8')) as { version?: string };
  return pkg.version ?? '0.0.0';
}

/** The OpenAPI 3.1 document of the routes `buildServer` registers. */
export function buildOpenApi(opts: OpenApiOptions = {}): OpenApiDocument {
  const paths: OpenApiDocument['paths'] = {};
  for (const route of ROUTES) {
    if (route.tag === 'Web console' && opts.ui === false) continue;
    const p = openApiPath(route.path);
    paths[p] = { ...paths[p], [route.method]: operation(route) };
  }
  const schemas: Record<string, JsonSchema> = { ...HAND_PARSED };
  for (const [name, schema] of Object.entries(SCHEMAS)) schemas[name] = jsonSchemaOf(schema);
  return {
    openapi: '3.1.0',
    info: {
      title: 'Klaxon',
      version: opts.version ?? packageVersion(),
      description:
        'Alerting for trading bots. Bodies are JSON; every error is `{error, message, errors?}`. ' +
        'With `server.auth: false`, requests without valid credentials pass as an anonymous admin. ' +
        'Every answer carries `X-Request-Id`. See docs/api.md.',
    },
    tags: TAGS.filter((t) => t.name !== 'Web console' || opts.ui !== false),
    paths,
    components: { schemas: sortKeys(schemas), securitySchemes: SECURITY_SCHEMES },
  };
}

function sortKeys<T>(o: Record<string, T>): Record<string, T> {
  return Object.fromEntries(Object.entries(o).sort(([a], [b]) => a.localeCompare(b)));
}
