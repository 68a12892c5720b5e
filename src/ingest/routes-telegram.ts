/**
 * `POST /v1/telegram/:receiver`: where Telegram posts the presses of "Acknowledge" buttons for a
 * receiver whose `updates.mode` is `webhook`. No bearer token: Telegram proves itself with the
 * receiver's `secret_token` in `X-Telegram-Bot-Api-Secret-Token`, checked in constant time before
 * the body is read.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { WebhookEndpoint } from '../channels/telegram/updates.js';
import { requestState, type ServerContext } from './context.js';
import { HttpError } from './errors.js';

export const TELEGRAM_SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export const RECEIVER_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

const endpoints = new WeakMap<FastifyRequest, WebhookEndpoint>();

export function registerTelegramRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { deps } = ctx;
  app.post(
    '/v1/telegram/:receiver',
    {
      onRequest: async (req: FastifyRequest) => {
        requestState(req).route = 'telegram_webhook';
        const name = (req.params as { receiver?: string }).receiver ?? '';
        const endpoint = RECEIVER_RE.test(name) ? deps.telegram?.endpoint(name) : undefined;
        if (!endpoint)
          throw new HttpError(
            404,
            'not_found',
            `no telegram receiver ${JSON.stringify(name.slice(0, 64))} receives button presses by webhook`,
          );
        const header = req.headers[TELEGRAM_SECRET_HEADER];
        if (!endpoint.verify(typeof header === 'string' ? header : undefined))
          throw new HttpError(
            403,
            'forbidden',
            `the ${TELEGRAM_SECRET_HEADER} header does not match the receiver's updates.secret_token`,
          );
        endpoints.set(req, endpoint);
      },
    },
    async (req: FastifyRequest) => {
      const endpoint = endpoints.get(req) as WebhookEndpoint;
      // Handled before answering, and always 200: a failure was answered to the user already,
      // and Telegram would only deliver the same press again.
      const outcome = await endpoint.handle(req.body);
      return { ok: true, outcome };
    },
  );
}
