/** What the routes of the ingest server share: dependencies, per-request state, auth hooks. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { isRedisUnavailable } from '../state/redis-errors.js';
import type { IngestBatch } from '../model/batch.js';
import type { KlaxonMetrics } from '../ops/metrics.js';
import type { Logger } from '../ops/logger.js';
import type { TelegramWebhooks } from '../channels/telegram/updates.js';
import type { AlertApi } from './alert-api.js';
import type { DeadLetterApi, Session, SessionStore, SourcesApi } from './ui-api.js';
import type { StateCaps } from './caps.js';
import { sameSecret } from './auth.js';
import type { DigestApi } from './routes-digest.js';
import type { Authenticator } from './auth.js';
import { unauthorizedMessage, type Access, type Principal } from './auth.js';
import type { IngestConfig } from './config.js';
import { HttpError } from './errors.js';

export interface HealthReport {
  status: 'ok' | 'degraded' | 'down';
  [k: string]: unknown;
}

export interface IngestDeps {
  /** The `server` section, parsed with `ingestConfigSchema`. */
  config: IngestConfig;
  /** Resolves once the batch is durably queued; rejects with QueueUnavailableError when Redis is unreachable. */
  enqueue(batch: IngestBatch): Promise<void>;
  health(): Promise<HealthReport>;
  ready(): Promise<boolean>;
  metrics: KlaxonMetrics;
  /** Caps on tracked sources and series (`limits`); without it nothing is capped. */
  caps?: StateCaps;
  alerts: AlertApi;
  /** The daily digest (`GET /v1/digest`, digest links); without it those routes answer 404. */
  digest?: DigestApi;
  /** Telegram receivers in webhook mode; without it `POST /v1/telegram/:receiver` answers 404. */
  telegram?: TelegramWebhooks;
  /** The web console (`/ui`, `server.ui`): its logins; without it `/ui` answers 404. */
  sessions?: SessionStore;
  /** The bots' freshness and series (`GET /v1/sources`); without it those routes answer 404. */
  sources?: SourcesApi;
  /** The dead-letter list (`GET /v1/dead-letters`, retry); without it those routes answer 404. */
  deadLetters?: DeadLetterApi;
  /** ms since epoch. */
  clock: () => number;
  logger: Logger;
}

/** Per request: when it arrived, who sent it, which logical route it hit. */
export interface RequestState {
  /** Arrival (deps.clock), NaN if unknown. */
  start: number;
  route?: string;
  access?: Access;
  principal?: Principal;
  authFailure?: HttpError;
}

const states = new WeakMap<FastifyRequest, RequestState>();

export function requestState(req: FastifyRequest): RequestState {
  let s = states.get(req);
  if (!s) {
    s = { start: Number.NaN };
    states.set(req, s);
  }
  return s;
}

export function initRequestState(req: FastifyRequest, start: number): RequestState {
  const s: RequestState = { start };
  states.set(req, s);
  return s;
}

export interface ServerContext {
  deps: IngestDeps;
  auth: Authenticator;
}

/**
 * Route-level hooks: `onRequest` resolves the principal (before the rate limit, which keys on
 * it), `preParsing` refuses the request before its body is read when the credentials do not do.
 */
export function accessHooks(ctx: ServerContext, route: string, access: Access) {
  return {
    onRequest: async (req: FastifyRequest) => {
      const st = requestState(req);
      st.route = route;
      st.access = access;
      const header = req.headers.authorization;
      // The web console's pages call the admin routes with their login cookie instead of a token.
      if (access === 'admin' && header === undefined && ctx.deps.sessions) {
        const session = await sessionOf(ctx, req);
        if (session) {
          st.principal = { name: session.name, kind: 'session', sources: ['*'], admin: true };
          if (!csrfOk(req, session))
            st.authFailure = new HttpError(
              403,
              'csrf',
              'a change made with a web console login needs the x-klaxon-csrf header of its session',
            );
          return;
        }
      }
      const outcome = ctx.auth.authenticate(typeof header === 'string' ? header : undefined, access);
      if (outcome.ok) {
        st.principal = outcome.principal;
        if (access === 'admin' && !outcome.principal.admin)
          st.authFailure = new HttpError(
            403,
            'forbidden',
            `token '${outcome.principal.name}' lacks the admin scope needed for this route`,
          );
      } else {
        st.authFailure = new HttpError(
          401,
          'unauthorized',
          unauthorizedMessage(outcome.reason, access),
          undefined,
          {
            'www-authenticate':
              access === 'alertmanager' ? 'Basic realm="klaxon", Bearer' : 'Bearer realm="klaxon"',
          },
        );
      }
    },
    preParsing: async (req: FastifyRequest, _reply: FastifyReply, payload: unknown) => {
      const st = requestState(req);
      if (st.authFailure) throw st.authFailure;
      return payload;
    },
  };
}

/** The authenticated principal of a request (the hooks guarantee one on protected routes). */
export function principalOf(req: FastifyRequest): Principal {
  const p = requestState(req).principal;
  if (!p) throw new HttpError(401, 'unauthorized', 'credentials required');
  return p;
}

/** The cookie that holds a web console login (HTTP-only, SameSite=Strict). */
export const SESSION_COOKIE = 'klaxon_session';
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The web console login of a request's cookie, if it has a live one; Redis away is a 503. */
export async function sessionOf(ctx: ServerContext, req: FastifyRequest): Promise<Session | undefined> {
  const id = req.cookies[SESSION_COOKIE];
  if (!ctx.deps.sessions || !id) return undefined;
  try {
    return await ctx.deps.sessions.get(id);
  } catch (err) {
    if (!isRedisUnavailable(err)) throw err;
    throw redisUnavailable(err, 'Redis is unavailable, so the login could not be checked');
  }
}

/** The answer of a route while Redis is unreachable or too slow: as ingest's, a 503 to retry. */
export function redisUnavailable(
  cause: unknown,
  why = 'Redis is unavailable, so the request was not carried out',
): HttpError {
  const err = new HttpError(503, 'queue_unavailable', `${why}; send it again later`, undefined, {
    'retry-after': '5',
  });
  err.cause = cause;
  return err;
}

/** A change (not a read) made with a login must carry the session's CSRF token in a header. */
export function csrfOk(req: FastifyRequest, session: Session): boolean {
  if (SAFE_METHODS.has(req.method)) return true;
  const sent = req.headers['x-klaxon-csrf'];
  if (typeof sent !== 'string') return false;
  return sameSecret(sent, session.csrf);
}
