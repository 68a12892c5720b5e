/**
 * The web console (`/ui`): its static page, and its login. Logging in takes an admin token once
 * and answers with an HTTP-only, SameSite=Strict cookie; the page then calls the admin routes
 * with that cookie (context.ts: `sessionOf`), sending the session's CSRF token with every change.
 * The token itself never reaches the page's storage or a URL.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { REPO_ROOT } from '../config/paths.js';
import { csrfOk, requestState, sessionOf, SESSION_COOKIE, type ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { parseOrThrow, withRedis } from './routes-admin.js';

/** Where `npm run build` puts the web console. */
export const DEFAULT_UI_DIR = path.join(REPO_ROOT, 'dist', 'ui');

/** Login attempts one client address may make a minute. */
const LOGIN_ATTEMPTS_PER_MINUTE = 10;

export const loginSchema = z.strictObject(
  { token: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).max(4096) },
  { error: 'must be an object {token}' },
);

/** What the browser may do with the console's page: its own files and API, nothing else. */
const PAGE_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
};

export function registerUiRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { deps } = ctx;
  const cfg = deps.config.ui;
  const sessions = deps.sessions;
  if (!cfg.enabled || !sessions) return;
  const route = (name: string) => ({
    onRequest: [
      async (req: FastifyRequest) => {
        requestState(req).route = name;
      },
    ],
  });
  /** The session cookie's attributes, the same when it is set and when it is cleared. */
  const cookieOptions = (req: FastifyRequest) => ({
    httpOnly: true,
    sameSite: 'strict' as const,
    secure: req.protocol === 'https' || (deps.config.public_url?.startsWith('https:') ?? false),
    path: '/',
  });

  app.post(
    '/ui/login',
    {
      ...route('ui_login'),
      config: {
        rateLimit: {
          max: LOGIN_ATTEMPTS_PER_MINUTE,
          timeWindow: 60_000,
          keyGenerator: (req: FastifyRequest) => `login:${req.ip}`,
        },
      },
    },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const { token } = parseOrThrow(loginSchema, req.body ?? {});
      const outcome = ctx.auth.authenticate(`Bearer ${token}`, 'admin');
      if (!outcome.ok) throw new HttpError(401, 'unauthorized', 'unknown token');
      if (!outcome.principal.admin)
        throw new HttpError(
          403,
          'forbidden',
          `token '${outcome.principal.name}' lacks the admin scope the web console needs`,
        );
      const { id, session } = await withRedis(ctx, () => sessions.create(outcome.principal.name));
      requestState(req).principal = outcome.principal;
      void reply.setCookie(SESSION_COOKIE, id, {
        ...cookieOptions(req),
        maxAge: Math.floor(cfg.session_ttl / 1000),
      });
      return session;
    },
  );

  app.get('/ui/session', route('ui_session'), async (req: FastifyRequest) => {
    const session = await sessionOf(ctx, req);
    if (!session) throw new HttpError(401, 'unauthorized', 'not logged in');
    return session;
  });

  app.post('/ui/logout', route('ui_logout'), async (req: FastifyRequest, reply: FastifyReply) => {
    const session = await sessionOf(ctx, req);
    if (session && !csrfOk(req, session))
      throw new HttpError(403, 'csrf', 'logging out needs the x-klaxon-csrf header of the session');
    const id = req.cookies[SESSION_COOKIE];
    if (session && id) await withRedis(ctx, () => sessions.delete(id));
    void reply.clearCookie(SESSION_COOKIE, cookieOptions(req));
    return reply.code(204).send();
  });

  const dir = cfg.dir ?? DEFAULT_UI_DIR;
  app.get('/ui', route('ui_page'), async (_req, reply: FastifyReply) => reply.redirect('/ui/', 302));
  if (!existsSync(path.join(dir, 'index.html'))) {
    const notBuilt = async () => {
      throw new HttpError(
        503,
        'ui_not_built',
        `the web console is not built: run \`npm run build\` (it writes ${path.join('dist', 'ui')})`,
      );
    };
    app.get('/ui/', route('ui_page'), notBuilt);
    app.get('/ui/*', route('ui_page'), notBuilt);
    return;
  }
  void app.register(fastifyStatic, {
    root: dir,
    prefix: '/ui/',
    index: ['index.html'],
    cacheControl: false,
    setHeaders: (res) => {
      for (const [k, v] of Object.entries(PAGE_HEADERS)) res.setHeader(k, v);
    },
  });
}
