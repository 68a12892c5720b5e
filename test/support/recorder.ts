import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Notification } from '../../src/model/notification.js';

/**
 * A local webhook endpoint that records what Klaxon's webhook channel posts: the receiving
 * end of every notification in the integration tests. It can be told to fail.
 */
export class Recorder {
  readonly received: Notification[] = [];
  /** Status to answer with (200 by default). */
  status = 200;
  /** Answers with this status this many times first (then `status`), with `Retry-After` when set. */
  failNext: { times: number; status: number; retryAfter?: string } | undefined;
  /** Answers this many ms after the request arrived (a slow service). */
  delayMs = 0;
  /** Every request that arrived, answered or not. */
  attempts = 0;
  private server?: http.Server;
  url = '';

  async start(): Promise<this> {
    this.server = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      // What it answers is decided, and a notification recorded, when the request arrives;
      // the answer leaves `delayMs` later.
      req.on('end', () => {
        this.attempts += 1;
        const headers: Record<string, string> = { 'content-type': 'application/json' };
        let status = this.status;
        if (this.failNext && this.failNext.times > 0) {
          this.failNext.times -= 1;
          status = this.failNext.status;
          if (this.failNext.retryAfter) headers['retry-after'] = this.failNext.retryAfter;
        } else if (status === 200) {
          this.received.push((JSON.parse(body) as { notification: Notification }).notification);
        }
        setTimeout(() => res.writeHead(status, headers).end('{}'), this.delayMs);
      });
    });
    await new Promise<void>((r) => this.server?.listen(0, '127.0.0.1', r));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
    return this;
  }

  /** Notifications about alerts named `name` (all when omitted). */
  of(name?: string): Notification[] {
    return name ? this.received.filter((n) => n.alerts[0]?.name === name) : this.received;
  }

  async close(): Promise<void> {
    await new Promise<void>((r) => this.server?.close(() => r()));
  }
}

/** Polls `check` until it returns true or `ms` pass. */
export async function waitFor(
  check: () => boolean | Promise<boolean>,
  ms = 10_000,
  what = 'condition',
): Promise<void> {
  const end = Date.now() + ms;
  while (Date.now() < end) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`timed out after ${ms} ms waiting for ${what}`);
}
