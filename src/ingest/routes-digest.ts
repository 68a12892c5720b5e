/**
 * The daily digest over HTTP:
 * - `GET /v1/digest` (admin token): the digest of a window, computed now, as JSON (default),
 *   text or a self-contained HTML page: `?date=YYYY-MM-DD&source=S&lookback_hours=N&format=`;
 * - `GET /v1/digest/view/:token`: the page behind the signed link a chat receiver's short digest
 *   carries (src/ingest/ack-links.ts, purpose `digest`): the report as it was sent. No bearer
 *   token; the link's signature is the credential, for that one digest.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { z } from 'zod';
import { renderDigestText } from '../digest/render-text.js';
import { isCalendarDate } from '../digest/schedule.js';
import type { DigestReport } from '../digest/types.js';
import { issuesToErrors, sourceSchema, summariseErrors } from '../model/inputs.js';
import { verifyLinkToken } from './ack-links.js';
import { LINK_PAGE_HEADERS, problemPage } from './routes-ack-link.js';
import { accessHooks, requestState, type ServerContext } from './context.js';
import { HttpError, invalidInput } from './errors.js';
import { withRedis } from './routes-admin.js';

/** What the routes need of the digest (DigestRunner). */
export interface DigestApi {
  /** Throws an Error named NoDigestSlot when the schedule has no time on `date`. */
  windowFor(q: { date?: string; lookbackMs?: number }, now: number): { start: number; end: number };
  report(
    window: { start: number; end: number },
    opts: { source?: string; generatedAt: number },
  ): Promise<DigestReport>;
  stored(slot: number): Promise<DigestReport | undefined>;
}

export const querySchema = z.strictObject(
  {
    date: z
      .string()
      .regex(/^\d{4}-\d{2}-\d{2}$/, { error: 'must be a date as YYYY-MM-DD' })
      .refine(isCalendarDate, { error: 'is not a calendar date' })
      .optional(),
    source: sourceSchema.optional(),
    lookback_hours: z
      .string()
      .regex(/^\d{1,3}(\.\d+)?$/, { error: 'must be a number of hours from 1 to 744' })
      .transform(Number)
      .pipe(
        z
          .number()
          .min(1, { error: 'must be at least 1' })
          .max(744, { error: 'must be at most 744 (31 days)' }),
      )
      .optional(),
    format: z.enum(['json', 'text', 'html'], { error: 'must be json, text or html' }).default('json'),
  },
  { error: 'must be an object' },
);

/** The digest page loads nothing: its charts are inline `data:` images. */
const PAGE_HEADERS = {
  ...LINK_PAGE_HEADERS,
  'content-security-policy':
    "default-src 'none'; img-src data:; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'",
};

export function registerDigestRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { deps } = ctx;
  const digest = deps.digest;
  const admin = accessHooks(ctx, 'digest', 'admin');

  app.get(
    '/v1/digest',
    { onRequest: [admin.onRequest], preParsing: [admin.preParsing] },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const r = querySchema.safeParse(req.query ?? {});
      if (!r.success) {
        const errors = issuesToErrors(r.error.issues, []);
        throw invalidInput(summariseErrors(errors), errors);
      }
      if (!digest) throw new HttpError(404, 'not_found', 'this Klaxon serves no digest');
      const q = r.data;
      const now = deps.clock();
      let window;
      try {
        window = digest.windowFor(
          {
            ...(q.date !== undefined ? { date: q.date } : {}),
            ...(q.lookback_hours !== undefined ? { lookbackMs: q.lookback_hours * 3_600_000 } : {}),
          },
          now,
        );
      } catch (err) {
        if ((err as Error).name !== 'NoDigestSlot') throw err;
        const errors = [{ path: 'date', message: (err as Error).message }];
        throw invalidInput(summariseErrors(errors), errors);
      }
      const report = await withRedis(ctx, () =>
        digest.report(window, { generatedAt: now, ...(q.source !== undefined ? { source: q.source } : {}) }),
      );
      if (q.format === 'text')
        return reply
          .type('text/plain; charset=utf-8')
          .send(renderDigestText(report, { currency: report.currency ?? 'USD' }));
      if (q.format === 'html') return sendPage(reply, report);
      return report;
    },
  );

  const open = async (req: FastifyRequest) => {
    const st = requestState(req);
    st.route = 'digest_link';
    st.access = 'open';
  };
  app.get(
    '/v1/digest/view/:token',
    { onRequest: [open] },
    async (req: FastifyRequest, reply: FastifyReply) => {
      const page = (status: number, title: string, text: string) => {
        const p = problemPage(status, title, text);
        return reply.code(p.status).headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(p.html);
      };
      const secret = deps.config.link_secret;
      if (!secret || !deps.config.public_url || !digest)
        return page(404, 'Links are off', 'This Klaxon does not serve digest links.');
      const token = (req.params as { token?: string }).token ?? '';
      const check = verifyLinkToken(secret, 'digest', token, deps.clock());
      if (!check.ok)
        return check.reason === 'expired'
          ? page(
              403,
              'Link expired',
              'This digest link has expired. Ask for the digest with klaxon digest --date.',
            )
          : page(
              403,
              'Link not valid',
              'This digest link is not valid: it may have been cut short or changed.',
            );
      let report: DigestReport | undefined;
      try {
        report = await withRedis(ctx, () => digest.stored(Number(check.subject)));
      } catch (err) {
        if (!(err instanceof HttpError) || err.statusCode !== 503) throw err;
        return page(503, 'Try again shortly', 'Klaxon cannot reach its store right now.');
      }
      if (!report)
        return page(
          404,
          'Digest no longer kept',
          'This digest is older than digest.retention and was not kept.',
        );
      return sendPage(reply, report);
    },
  );
}

/** The digest as a page; the chart renderer is loaded on the first page, not with the server. */
async function sendPage(reply: FastifyReply, report: DigestReport): Promise<FastifyReply> {
  const { digestPage } = await import('../digest/digest-page.js');
  return reply.headers(PAGE_HEADERS).type('text/html; charset=utf-8').send(digestPage(report));
}
