import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** The address of a started TestKlaxon. */
export function urlOf(k: { app: { url?: string } }): string {
  if (!k.app.url) throw new Error('Klaxon is not listening');
  return k.app.url;
}

/** What the proxy does with a request: pass it on, or pass it on and then fail the client. */
export type Plan = 'pass' | '503' | 'cut';

export interface Relayed {
  path: string;
  body: string;
  requestId: string | undefined;
  /** Klaxon's status for it. */
  status: number;
  /** What the client got: Klaxon's status, a 503, or a cut connection. */
  plan: Plan;
}

/**
 * A local HTTP proxy between a client and Klaxon that records each request and, as `plan` says,
 * answers with Klaxon's answer, or hands it to Klaxon and then answers 503 (or cuts the
 * connection) anyway: the client cannot tell that Klaxon accepted it.
 */
export class FlakyProxy {
  readonly relayed: Relayed[] = [];
  plan: (n: number, path: string) => Plan = () => 'pass';
  private server?: http.Server;
  url = '';

  constructor(private readonly target: string) {}

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => void this.relay(req, res, Buffer.concat(chunks).toString('utf8')));
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  private async relay(req: http.IncomingMessage, res: http.ServerResponse, body: string): Promise<void> {
    const path = req.url ?? '/';
    const plan = this.plan(this.relayed.length + 1, path);
    const headers: Record<string, string> = {};
    for (const h of ['authorization', 'content-type', 'x-request-id']) {
      const v = req.headers[h];
      if (typeof v === 'string') headers[h] = v;
    }
    const answer = await fetch(this.target + path, { method: req.method ?? 'GET', headers, body });
    const text = await answer.text();
    this.relayed.push({ path, body, requestId: headers['x-request-id'], status: answer.status, plan });
    if (plan === 'cut') req.socket.destroy();
    else if (plan === '503')
      res
        .writeHead(503, { 'content-type': 'application/json' })
        .end('{"error":"bad_gateway","message":"the proxy lost its upstream"}');
    else res.writeHead(answer.status, { 'content-type': 'application/json' }).end(text);
  }

  async close(): Promise<void> {
    this.server?.closeAllConnections();
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}
