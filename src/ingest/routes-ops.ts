/** /live, /ready, /health, /metrics, /openapi.json: open (no token), never rate limited. */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ServerContext } from './context.js';
import { buildOpenApi, type OpenApiDocument } from './openapi.js';

export function registerOpsRoutes(app: FastifyInstance, ctx: ServerContext): void {
  const { deps } = ctx;
  const open = { config: { rateLimit: false as const } };

  app.get('/live', open, async () => ({ status: 'ok' }));

  app.get('/ready', open, async (req, reply: FastifyReply) => {
    let ready = false;
    try {
      ready = await deps.ready();
    } catch (err) {
      req.log.warn({ err }, 'readiness check failed');
    }
    return reply.code(ready ? 200 : 503).send({ ready });
  });

  app.get('/health', open, async (req, reply: FastifyReply) => {
    try {
      const report = await deps.health();
      return reply.code(report.status === 'down' ? 503 : 200).send(report);
    } catch (err) {
      req.log.error({ err }, 'health check failed');
      return reply.code(503).send({ status: 'down', error: 'the health check itself failed; see the log' });
    }
  });

  app.get('/metrics', open, async (_req, reply: FastifyReply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });

  // The API's contract, built from the schemas the routes validate with, on the first request.
  let openapi: OpenApiDocument | undefined;
  app.get('/openapi.json', open, async () => {
    openapi ??= buildOpenApi({ ui: deps.config.ui.enabled && deps.sessions !== undefined });
    return openapi;
  });
}
