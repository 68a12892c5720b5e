/**
 * The webhook receiver of the chaos scenarios: a local HTTP server that Klaxon's webhook channel
 * posts to. It records each notification it answered 200 with the id from the
 * `x-klaxon-notification-id` header, the input key the notification is about (the `chaos_key`
 * label the load client put on every input) and the time. It may take `latencyMs` to answer (so
 * that a worker killed mid-send leaves a send the receiver took but the worker never heard
 * back from). It can be told to fail: answer 503
 * (`failing`), or stop listening altogether (`closed`: connections refused), and come back on
 * the same port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Receipt {
  /** The notification id (header `x-klaxon-notification-id`). */
  id: string;
  /** The `chaos_key` label of the notification's alert: which input it tells of. */
  key: string | undefined;
  kind: string;
  /** When it was answered 200 (ms since the epoch). */
  at: number;
}

export type ReceiverMode = 'up' | 'failing' | 'closed';

interface PostedNotification {
  id?: string;
  kind?: string;
  alerts?: { labels?: Record<string, string> }[];
}

export class ChaosReceiver {
  readonly receipts: Receipt[] = [];
  /** Requests answered with `failStatus` while failing. */
  refused = 0;
  /** Requests whose header id differed from the body's notification id (a bug if ever > 0). */
  mismatched = 0;
  /** Requests that were not a Klaxon JSON webhook body. */
  malformed = 0;
  mode: ReceiverMode = 'up';
  failStatus = 503;
  /** How long a send takes when up (ms): a real service is not instant, and a kill may cut a send. */
  latencyMs = 0;
  private server?: http.Server;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hook`;
  }

  async start(): Promise<this> {
    await this.listen();
    return this;
  }

  /** Goes up, starts failing, or closes (and reopens on the same port when leaving `closed`). */
  async setMode(mode: ReceiverMode): Promise<void> {
    if (mode === this.mode) return;
    if (mode === 'closed') {
      this.mode = 'closed';
      await this.shut();
    } else {
      if (this.mode === 'closed') await this.listen();
      this.mode = mode;
    }
  }

  async close(): Promise<void> {
    await this.shut();
  }

  private async listen(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    server.keepAliveTimeout = 5000;
    this.server = server;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.port = (server.address() as AddressInfo).port;
  }

  private async shut(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    const closed = new Promise<void>((r) => server.close(() => r()));
    server.closeAllConnections();
    await closed;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (this.mode !== 'up') {
        this.refused += 1;
        res.writeHead(this.failStatus, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      }
      const header = req.headers['x-klaxon-notification-id'];
      let n: PostedNotification | undefined;
      try {
        n = (JSON.parse(Buffer.concat(chunks).toString('utf8')) as { notification?: PostedNotification })
          .notification;
      } catch {
        n = undefined;
      }
      if (typeof header !== 'string' || !n) {
        this.malformed += 1;
        res.writeHead(400, { 'content-type': 'application/json' });
        res.end('{}');
        return;
      }
      if (n.id !== header) this.mismatched += 1;
      const receipt = { id: header, key: n.alerts?.[0]?.labels?.chaos_key, kind: n.kind ?? '?' };
      const answer = () => {
        // Taken as done here, as a real service would, even if the sender is gone by now.
        this.receipts.push({ ...receipt, at: Date.now() });
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{}');
      };
      if (this.latencyMs > 0) setTimeout(answer, this.latencyMs);
      else answer();
    });
  }
}
