/** What the routes of the ingest server share: dependencies, per-request state, auth hooks. */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { IngestBatch } from '../model/batch.js';
import type { KlaxonMetrics } from '../ops/metrics.js';
import type { Logger } from '../ops/logger.js';
import type { TelegramWebhooks } from '../channels/telegram/updates.js';
import type { AlertApi } from './alert-api.js';
import type { StateCaps } from './caps.js';
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
