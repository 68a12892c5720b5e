import type { Timers } from '../../src/client/index.js';

/** Lets pending promise callbacks and I/O callbacks run (no time passes on the fake clock). */
export async function settle(rounds = 10): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((r) => setImmediate(r));
}

interface FakeTimer {
  id: number;
  at: number;
  fn: () => void;
  unref: boolean;
}

/** A clock and timers that move only when told: `advance(ms)` runs what falls due, in order. */
export class FakeTimers implements Timers {
  private timers: FakeTimer[] = [];
  private nextId = 1;

  constructor(public t = Date.parse('2026-11-21T10:00:00Z')) {}

  now = (): number => this.t;

  setTimeout = (fn: () => void, ms: number, unref = false): unknown => {
    const timer = { id: this.nextId++, at: this.t + Math.max(0, ms), fn, unref };
    this.timers.push(timer);
    return timer.id;
  };

  clearTimeout = (handle: unknown): void => {
    this.timers = this.timers.filter((t) => t.id !== handle);
  };

  /** Timers not yet run: all of them, or only those that keep a process alive. */
  pending(which: 'all' | 'ref' = 'all'): number {
    return this.timers.filter((t) => which === 'all' || !t.unref).length;
  }

  /** When the next timer is due, ms from now (undefined when none). */
  nextIn(): number | undefined {
    const next = this.earliest();
    return next === undefined ? undefined : next.at - this.t;
  }

  /** Moves the clock `ms` on, running each timer that falls due (and what it set off) in order. */
  async advance(ms: number): Promise<void> {
    const end = this.t + ms;
    await settle();
    for (let next = this.earliest(); next && next.at <= end; next = this.earliest()) {
      this.t = next.at;
      this.timers = this.timers.filter((t) => t !== next);
      next.fn();
      await settle();
    }
    this.t = end;
    await settle();
  }

  /** Advances until `done` resolves (at most `limit` ms of fake time). */
  async until<T>(done: Promise<T>, limit = 3_600_000): Promise<T> {
    let finished = false;
    const p = done.finally(() => {
      finished = true;
    });
    const end = this.t + limit;
    await settle();
    while (!finished && this.t < end) {
      const step = this.nextIn();
      if (step === undefined) {
        await settle();
        if (!finished && this.nextIn() === undefined) throw new Error('nothing left to run and not done');
        continue;
      }
      await this.advance(step);
    }
    return p;
  }

  private earliest(): FakeTimer | undefined {
    return this.timers.reduce<FakeTimer | undefined>(
      (a, t) => (a === undefined || t.at < a.at || (t.at === a.at && t.id < a.id) ? t : a),
      undefined,
    );
  }
}

export interface Seen {
  url: string;
  headers: Record<string, string>;
  body: unknown[];
}

export type Reply =
  { status: number; body?: unknown; headers?: Record<string, string> } | { error: Error } | 'hang';

/**
 * A `fetch` that records each request and answers with what `reply` says (by default 202). `hang`
 * never answers until the request is aborted.
 */
export class FakeKlaxon {
  readonly seen: Seen[] = [];
  reply: (req: Seen, n: number) => Reply = () => ({ status: 202 });

  fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const req: Seen = {
      url: String(input),
      headers,
      body: JSON.parse(String(init?.body)) as unknown[],
    };
    this.seen.push(req);
    const r = this.reply(req, this.seen.length);
    if (r === 'hang')
      return new Promise<Response>((_, reject) => {
        const signal = init?.signal;
        if (signal?.aborted) reject(new DOMException('aborted', 'AbortError'));
        signal?.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError')));
      });
    if ('error' in r) throw r.error;
    const body = r.body ?? (r.status === 202 ? { accepted: req.body.length, id: 'batch' } : {});
    return new Response(JSON.stringify(body), {
      status: r.status,
      headers: { 'content-type': 'application/json', ...r.headers },
    });
  };

  /** The requests to a route (`metrics`, `events`, `alerts`). */
  to(route: string): Seen[] {
    return this.seen.filter((s) => s.url.endsWith(`/v1/${route}`));
  }
}
