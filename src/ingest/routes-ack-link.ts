/**
 * The pages behind signed acknowledge links (src/ingest/ack-links.ts), for people who get an
 * alert by email or on Discord and cannot answer it there. No bearer token: the link's signature
 * is the credential, and it acknowledges that one alert only.
 *
 * - `GET /v1/ack/:token` shows the alert and a form, and changes nothing: mail scanners and chat
 *   previews open links on their own.
 * - `POST /v1/ack/:token` (a form) acknowledges the alert through the life cycle, as the API does.
 *
 * A bad or expired link is a 403 page, an unknown alert 404, a resolved one 409. Every value shown
 * is HTML-escaped; the pages load nothing and may not be framed.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { alertTitle, isoTime } from '../channels/content.js';
import { EMAIL_COLORS, escapeHtml } from '../channels/email/render-html.js';
import type { Alert } from '../model/alert.js';
import { alertView } from '../routing/notify.js';
import { verifyAckToken } from './ack-links.js';
import type { Acknowledgement } from './alert-api.js';
import { requestState, type ServerContext } from './context.js';
import { HttpError } from './errors.js';
import { withRedis } from './routes-admin.js';

/** Longest name and comment the form takes (as `POST /v1/alerts/:fingerprint/ack`). */
export const MAX_BY = 128;
export const MAX_COMMENT = 1024;
/** Who acknowledged, when the form's name is left empty. */
export const ANONYMOUS_ACK = 'anonymous';

export const LINK_PAGE_HEADERS = {
  'cache-control': 'no-store',
  // The token is in the URL: a page it opens must not pass it on.
  'referrer-policy': 'no-referrer',
  'content-security-policy':
    "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-content-type-options': 'nosniff',
  'x-robots-tag': 'noindex, nofollow',
};

export interface AckPage {
  status: number;
  html: string;
}

const STYLE = `
body{margin:0;background:#f3f4f6;color:#1f2328;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif}
main{max-width:34rem;margin:2rem auto;background:#fff;border-radius:8px;padding:1.5rem 1.75rem;border-top:8px solid var(--tone)}
h1{font-size:1.35rem;line-height:1.3;margin:.25rem 0 1rem;overflow-wrap:anywhere}
.tag{display:inline-block;font-size:.75rem;font-weight:700;letter-spacing:.06em;color:var(--tone)}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0 0 1.25rem}
dt{color:#57606a}dd{margin:0;overflow-wrap:anywhere}
label{display:block;font-size:.9rem;color:#57606a;margin:.75rem 0 .25rem}
input{box-sizing:border-box;width:100%;font:inherit;padding:.45rem .6rem;border:1px solid #d0d7de;border-radius:6px}
button{margin-top:1rem;font:inherit;font-weight:600;padding:.55rem 1.2rem;border:0;border-radius:6px;background:#1f6feb;color:#fff;cursor:pointer}
p.note{font-size:.85rem;color:#57606a;margin:1.25rem 0 0}
`;

function page(title: string, tone: string, body: string): string {
  return [
    '<!doctype html>',
    '<html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="robots" content="noindex, nofollow">',
    `<title>${escapeHtml(title)} · Klaxon</title>`,
    `<style>${STYLE}</style></head>`,
    `<body><main style="--tone:${tone}">${body}</main></body></html>`,
  ].join('\n');
}

function facts(a: Alert): string {
  const rows: [string, string][] = [
    ['Alert', a.name],
    ['Severity', a.severity],
    ['Source', a.labels.source ?? '—'],
    ['Status', a.status],
    ['Since', isoTime(a.firingAt ?? a.startsAt)],
  ];
  if (a.acknowledged)
    rows.push([
      'Acknowledged',
      `by ${a.acknowledged.by} at ${isoTime(a.acknowledged.at)}` +
        (a.acknowledged.comment ? `: ${a.acknowledged.comment}` : ''),
    ]);
  return `<dl>${rows.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>`;
}

function heading(a: Alert, tag: string): string {
  return `<span class="tag">${escapeHtml(tag)}</span><h1>${escapeHtml(alertTitle(alertView(a)))}</h1>`;
}

/** The page a link opens: the alert and the form. Changes nothing. */
export function confirmPage(a: Alert, expiresAt: number): AckPage {
  const form = [
    '<form method="post">',
    `<label for="by">Your name (optional)</label><input id="by" name="by" maxlength="${MAX_BY}" autocomplete="name">`,
    `<label for="comment">Comment (optional)</label><input id="comment" name="comment" maxlength="${MAX_COMMENT}">`,
    '<button type="submit">Acknowledge</button>',
    '</form>',
  ].join('');
  const note = `<p class="note">Acknowledging stops reminders and escalation of this alert; its resolve is still sent. This link acknowledges this alert only, until ${escapeHtml(isoTime(expiresAt))}.</p>`;
  return {
    status: 200,
    html: page(
      `Acknowledge ${a.name}`,
      EMAIL_COLORS[a.severity],
      heading(a, a.severity.toUpperCase()) + facts(a) + form + note,
    ),
  };
}

/** After the form: the acknowledgement is on its way through the alert's lane. */
export function acknowledgedPage(a: Alert, by: string): AckPage {
  const body =
    heading(a, 'ACKNOWLEDGED') +
    `<p>Acknowledged by <strong>${escapeHtml(by)}</strong>. The receivers that were told of this alert hear of it; reminders and escalation stop.</p>` +
    facts(a);
  return { status: 200, html: page(`Acknowledged ${a.name}`, EMAIL_COLORS.resolved, body) };
}

/** A page that says why nothing was done. */
export function problemPage(status: number, title: string, text: string): AckPage {
  return {
    status,
    html: page(title, '#57606a', `<h1>${escapeHtml(title)}</h1><p>${escapeHtml(text)}</p>`),
  };
}

function resolvedPage(a: Alert): AckPage {
  const when = a.endsAt !== undefined ? ` at ${isoTime(a.endsAt)}` : '';
  return problemPage(
    409,
    'Already resolved',
    `Alert ${a.name} resolved${when}: there is nothing to acknowledge.`,
  );
}

function unknownPage(): AckPage {
  return problemPage(
    404,
    'No such alert',
    'Klaxon no longer knows this alert: it resolved and was forgotten, or was never there.',
  );
}

/** The form's fields, from a form-encoded (or JSON) body. */
function formFields(body: unknown): { by?: string; comment?: string } | { error: string } {
  const fields = body !== null && typeof body === 'object' ? (body as Record<string, unknown>) : {};
  const text = (k: string): string | undefined => {
    const v = fields[k];
    return typeof v === 'string' && v.trim() !== '' ? v.trim() : undefined;
  };
  const by = text('by');
  const comment = text('comment');
  if (by !== undefined && by.length > MAX_BY)
    return { error: `The name is longer than ${MAX_BY} characters.` };
  if (comment !== undefined && comment.length > MAX_COMMENT)
    return { error: `The comment is longer than ${MAX_COMMENT} characters.` };
  return { ...(by !== undefined ? { by } : {}), ...(comment !== undefined ? { comment } : {}) };
}

/**
 * A request path as the logs should show it: without the query, and without the token of an
 * acknowledge or digest link, which is a credential for its alert or digest.
 */
export function loggedPath(url: string): string {
  const path = (url.split('?')[0] ?? '').slice(0, 200);
  if (path.startsWith('/v1/ack/')) return '/v1/ack/[redacted]';
  return path.startsWith('/v1/digest/view/') ? '/v1/digest/view/[redacted]' : path;
}

/** `/v1/ack/:token`, in a scope of its own (it alone reads form bodies). */
export function registerAckLinkRoutes(app: FastifyInstance, ctx: ServerContext): void {
  void app.register(async (scope) => {
    const { deps } = ctx;
    scope.addContentTypeParser(
      'application/x-www-form-urlencoded',
      { parseAs: 'string', bodyLimit: 8 * 1024 },
      (_req, body, done) => {
        done(
          null,
          Object.fromEntries(new URLSearchParams(typeof body === 'string' ? body : body.toString())),
        );
      },
    );
    scope.addHook('onRequest', async (req) => {
      const st = requestState(req);
      st.route = 'ack_link';
      st.access = 'open';
    });

    const send = (reply: FastifyReply, p: AckPage) =>
      reply.code(p.status).headers(LINK_PAGE_HEADERS).type('text/html; charset=utf-8').send(p.html);

    /** The link's alert, or the page that says why there is none to act on. */
    const resolve = async (req: FastifyRequest): Promise<{ alert: Alert; expiresAt: number } | AckPage> => {
      const secret = deps.config.link_secret;
      if (!secret || !deps.config.public_url)
        return problemPage(404, 'Links are off', 'This Klaxon does not take acknowledge links.');
      const token = (req.params as { token?: string }).token ?? '';
      const check = verifyAckToken(secret, token, deps.clock());
      if (!check.ok)
        return check.reason === 'expired'
          ? problemPage(
              403,
              'Link expired',
              'This acknowledge link has expired. Acknowledge the alert from a newer message, or with the API or the CLI.',
            )
          : problemPage(
              403,
              'Link not valid',
              'This acknowledge link is not valid: it may have been cut short or changed.',
            );
      const alert = await withRedis(ctx, () => deps.alerts.getAlert(check.fingerprint));
      if (!alert) return unknownPage();
      if (alert.status === 'resolved') return resolvedPage(alert);
      return { alert, expiresAt: check.expiresAt };
    };

    /** Redis away: a page that says to try again, rather than the API's JSON. */
    const unavailable = (reply: FastifyReply, err: unknown) => {
      if (!(err instanceof HttpError) || err.statusCode !== 503) throw err;
      return send(
        reply.header('retry-after', '5'),
        problemPage(503, 'Try again shortly', 'Klaxon cannot reach its store right now; nothing was done.'),
      );
    };

    scope.get('/v1/ack/:token', async (req, reply) => {
      try {
        const found = await resolve(req);
        if ('html' in found) return send(reply, found);
        return send(reply, confirmPage(found.alert, found.expiresAt));
      } catch (err) {
        return unavailable(reply, err);
      }
    });

    scope.post('/v1/ack/:token', async (req, reply) => {
      try {
        const found = await resolve(req);
        if ('html' in found) return send(reply, found);
        const fields = formFields(req.body);
        if ('error' in fields) return send(reply, problemPage(400, 'Not acknowledged', fields.error));
        const by = fields.by ?? ANONYMOUS_ACK;
        const ack: Acknowledgement = { by, at: deps.clock(), via: 'link' };
        if (fields.comment !== undefined) ack.comment = fields.comment;
        const res = await withRedis(ctx, () => deps.alerts.acknowledge(found.alert.fingerprint, ack));
        if (res.outcome === 'unknown') return send(reply, unknownPage());
        if (res.outcome === 'not-firing') return send(reply, resolvedPage(res.alert ?? found.alert));
        return send(reply, acknowledgedPage(res.alert ?? found.alert, by));
      } catch (err) {
        return unavailable(reply, err);
      }
    });
  });
}
