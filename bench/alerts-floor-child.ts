/**
 * The floor of bench/alerts.ts (`npm run bench:alerts -- --floor`): the least a Node.js service
 * can do with the storm, to show what any design on this runtime and machine can reach at best.
 *
 * A plain node:http server takes the same Alertmanager webhook v4 bodies Klaxon takes, answers 202
 * at once, and POSTs each alert to the sink in a body about the size of Klaxon's `format: json`
 * webhook (the alert, its labels and annotations, a title and a text), through an undici Pool as
 * Klaxon's webhook channel does, 32 requests in flight (Klaxon's `delivery.in_flight`). Nothing
 * else: no Redis, no validation, no rules, no grouping, no retry, nothing kept. A restart loses
 * every alert in it; Klaxon must not.
 *
 * Protocol (IPC): parent -> `{type: 'start', sinkUrl}` -> child `{type: 'ready', url}`; the parent
 * kills the child when done. The parent going away ends the child too.
 *
 * Usage (normally via the parent): node dist/bench/alerts-floor-child.js
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Pool } from 'undici';

export type ToFloorChild = { type: 'start'; sinkUrl: string };
export type FromFloorChild = { type: 'ready'; url: string } | { type: 'error'; message: string };

const IN_FLIGHT = 32;

interface WebhookAlert {
  status: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  generatorURL: string;
  fingerprint: string;
}

function start(sinkUrl: string): void {
  const sink = new URL(sinkUrl);
  const pool = new Pool(sink.origin);
  const queue: WebhookAlert[] = [];
  let active = 0;
  let sent = 0;

  const body = (a: WebhookAlert): string => {
    const summary = a.annotations.summary ?? a.labels.alertname ?? '';
    return JSON.stringify({
      version: '1',
      notification: {
        id: `floor-${sent}`,
        receiver: 'sink',
        kind: 'alert',
        state: a.status,
        severity: a.labels.severity,
        createdAt: new Date().toISOString(),
        alerts: [
          {
            key: a.fingerprint,
            source: 'alertmanager',
            rule: a.labels.alertname,
            state: a.status,
            severity: a.labels.severity,
            summary,
            labels: a.labels,
            annotations: a.annotations,
            startsAt: a.startsAt,
            generatorURL: a.generatorURL,
          },
        ],
      },
      title: `[FIRING ${a.labels.severity ?? ''}] ${summary}`,
      text: [
        summary,
        ...Object.values(a.annotations),
        ...Object.entries(a.labels).map(([k, v]) => `${k}=${v}`),
      ].join('\n'),
    });
  };

  const pump = (): void => {
    while (active < IN_FLIGHT && queue.length > 0) {
      const a = queue.shift() as WebhookAlert;
      active++;
      sent++;
      pool
        .request({
          path: sink.pathname,
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: body(a),
        })
        .then((res) => res.body.dump())
        .catch((err: unknown) => console.error('floor: a POST to the sink failed:', err))
        .finally(() => {
          active--;
          pump();
        });
    }
  };

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as { alerts: WebhookAlert[] };
      for (const a of parsed.alerts) queue.push(a);
      res.writeHead(202, { 'content-type': 'application/json' }).end('{"accepted":true}');
      pump();
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as AddressInfo;
    process.send?.({ type: 'ready', url: `http://127.0.0.1:${port}` } satisfies FromFloorChild);
  });
}

process.on('message', (m: ToFloorChild) => {
  if (m.type === 'start') start(m.sinkUrl);
});
process.on('disconnect', () => process.exit(0));
