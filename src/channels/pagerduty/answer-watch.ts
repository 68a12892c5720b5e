import type { ClientRequest, IncomingMessage } from 'node:http';
import https from 'node:https';

/** The status line and the headers we need of one answer, as it arrived. */
export interface SeenAnswer {
  status: number;
  retryAfter: string | undefined;
}

/** `Agent#addRequest(req, options)`: present on every Node agent, missing from @types/node. */
interface WithAddRequest {
  addRequest?: (req: ClientRequest, options: unknown) => void;
}

/**
 * The HTTPS agent of ONE send, through which pdjs (node-fetch) makes its request.
 *
 * Why it exists: pdjs 2.2.4 retries a 429 by itself, 3 more times `retryTimeout` ms apart, with the
 * count hard-coded (`retryCount` in its types is ignored; `retryTimeout: 0` still makes 4 requests),
 * and loses the headers (Retry-After) when a 429 or 5xx body is not JSON. Klaxon's worker decides
 * retries, so a send must make exactly one request and report the wait PagerDuty asked for.
 *
 * How: every request node-fetch makes passes through its agent's `addRequest` before node-fetch
 * registers its own `response` listener, so this agent sees each answer first. On a 429 it calls
 * `onAnswer`, which aborts the signal given to pdjs: node-fetch then rejects with an AbortError
 * instead of handing the 429 to pdjs's retry loop, so pdjs neither sleeps nor sends again.
 * Uses Node's default CA store (plus NODE_EXTRA_CA_CERTS), no keep-alive: one connection per event.
 */
export class AnswerWatch extends https.Agent {
  /** False when this Node has no `addRequest` to hook (then pdjs's own 429 retries can happen). */
  readonly watching: boolean;

  constructor(onAnswer: (answer: SeenAnswer) => void) {
    super({ keepAlive: false });
    const self = this as unknown as WithAddRequest;
    const base = self.addRequest;
    this.watching = typeof base === 'function';
    if (typeof base !== 'function') return;
    self.addRequest = (req, options) => {
      req.once('response', (res: IncomingMessage) => {
        const ra = res.headers['retry-after'];
        onAnswer({ status: res.statusCode ?? 0, retryAfter: Array.isArray(ra) ? ra[0] : ra });
      });
      base.call(this, req, options);
    };
  }
}
