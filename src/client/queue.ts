/**
 * What waits to be sent, and when a batch is due: a bounded queue per route and the batching
 * decisions, on an injected clock and timers (tests drive them without sleeping).
 */

/** The clock and timers the client runs on (real ones by default, fake ones in tests). */
export interface Timers {
  now(): number;
  /** Calls `fn` once after `ms`; an `unref`'d timer does not keep the process alive. */
  setTimeout(fn: () => void, ms: number, unref?: boolean): unknown;
  clearTimeout(handle: unknown): void;
}

export const realTimers: Timers = {
  now: () => Date.now(),
  setTimeout: (fn, ms, unref = false) => {
    const t = setTimeout(fn, ms);
    if (unref) t.unref();
    return t;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

export interface BatchLimits {
  /** A route's batch is sent as soon as this many items wait (default 500). */
  maxItems: number;
  /** No item waits longer than this before its batch is sent (default 1 s). */
  maxDelayMs: number;
  /** A request body holds at most this many bytes (default 512 KiB), unless one item is larger. */
  maxBytes: number;
  /** Items waiting, all routes together (default 10,000): beyond, the oldest are dropped. */
  maxQueued: number;
}

export const DEFAULT_BATCH = { maxItems: 500, maxDelayMs: 1000, maxBytes: 512 * 1024 } as const;
export const DEFAULT_MAX_QUEUED = 10_000;

/** One queued item: its JSON, serialised when it was queued. */
export interface QueuedItem<R extends string = string> {
  route: R;
  /** Order of queuing, over all routes. */
  seq: number;
  queuedAt: number;
  json: string;
  /** UTF-8 length of `json`. */
  bytes: number;
  /** The idempotency key of an event or alert. */
  id?: string;
}

/** A FIFO with O(1) shift. */
class Deque<T> {
  private items: T[] = [];
  private head = 0;

  get length(): number {
    return this.items.length - this.head;
  }
  push(item: T): void {
    this.items.push(item);
  }
  peek(): T | undefined {
    return this.items[this.head];
  }
  shift(): T | undefined {
    if (this.head >= this.items.length) return undefined;
    const item = this.items[this.head] as T;
    this.head += 1;
    if (this.head > 1024 && this.head * 2 > this.items.length) {
      this.items = this.items.slice(this.head);
      this.head = 0;
    }
    return item;
  }
}

/**
 * The items of each route waiting to be sent, and the decisions about them:
 * - a route is due when it holds `maxItems` items or `maxBytes` bytes, or when its items are
 *   marked due: by the delay timer (armed when an item arrives and none is waiting, it fires
 *   `maxDelayMs` later and marks everything queued by then; `unref`'d: the client's exit hook
 *   sends what waits when nothing else keeps the process alive) or by `markAllDue` (a flush);
 * - `take` hands out the next batch of a due route (`maxItems` items and `maxBytes` at most, one item
 *   at least);
 * - past `maxQueued` waiting items, the oldest of all routes is dropped.
 */
export class Batcher<R extends string = string> {
  private readonly queues = new Map<R, { items: Deque<QueuedItem<R>>; bytes: number }>();
  private seq = 0;
  /** Items with `seq` up to this are due. */
  private dueThrough = 0;
  private total = 0;
  private timer: unknown;
  private timerArmed = false;

  constructor(
    routes: readonly R[],
    private readonly limits: BatchLimits,
    private readonly timers: Timers,
    /** Called when the delay timer marked items due: send them. */
    private readonly onDue: () => void,
  ) {
    for (const r of routes) this.queues.set(r, { items: new Deque(), bytes: 0 });
  }

  /** Items waiting, all routes. */
  get size(): number {
    return this.total;
  }

  /**
   * Queues an item. Answers whether its route is now due by size (send it now) and the items
   * dropped to stay within `maxQueued`, oldest first.
   */
  add(route: R, json: string, id?: string): { full: boolean; dropped: QueuedItem<R>[] } {
    const q = this.queue(route);
    this.seq += 1;
    const item: QueuedItem<R> = {
      route,
      seq: this.seq,
      queuedAt: this.timers.now(),
      json,
      bytes: Buffer.byteLength(json),
    };
    if (id !== undefined) item.id = id;
    q.items.push(item);
    q.bytes += item.bytes;
    this.total += 1;
    const dropped: QueuedItem<R>[] = [];
    while (this.total > this.limits.maxQueued) {
      const oldest = this.dropOldest();
      if (!oldest) break;
      dropped.push(oldest);
    }
    if (this.total > 0 && !this.timerArmed) this.arm();
    return { full: this.isFull(route), dropped };
  }

  /** The next batch of `route` if one is due now, taken off the queue. */
  take(route: R): QueuedItem<R>[] | undefined {
    if (!this.isDue(route)) return undefined;
    const q = this.queue(route);
    const batch: QueuedItem<R>[] = [];
    let bytes = 1; // [ and ], and a comma between items
    for (let item = q.items.peek(); item; item = q.items.peek()) {
      if (batch.length >= this.limits.maxItems) break;
      if (batch.length > 0 && bytes + item.bytes + 1 > this.limits.maxBytes) break;
      q.items.shift();
      q.bytes -= item.bytes;
      bytes += item.bytes + 1;
      batch.push(item);
    }
    this.total -= batch.length;
    if (this.total === 0) this.disarm();
    return batch;
  }

  /** Whether `route` holds an item queued at or before `seq`. */
  holdsThrough(route: R, seq: number): boolean {
    const head = this.queue(route).items.peek();
    return head !== undefined && head.seq <= seq;
  }

  /** Whether `route` has a batch due now (a full route holds at least one item). */
  isDue(route: R): boolean {
    return this.holdsThrough(route, this.dueThrough) || this.isFull(route);
  }

  /** Marks everything queued so far due (a flush) and stops the delay timer; answers the last `seq`. */
  markAllDue(): number {
    this.dueThrough = this.seq;
    this.disarm();
    return this.seq;
  }

  /** Empties every queue (a close that ran out of time); answers what was in them. */
  clear(): QueuedItem<R>[] {
    const all: QueuedItem<R>[] = [];
    for (const q of this.queues.values()) {
      for (let item = q.items.shift(); item; item = q.items.shift()) all.push(item);
      q.bytes = 0;
    }
    this.total = 0;
    this.disarm();
    return all.sort((a, b) => a.seq - b.seq);
  }

  /** Stops the delay timer (the client is closed). */
  stop(): void {
    this.disarm();
  }

  private queue(route: R) {
    const q = this.queues.get(route);
    if (!q) throw new Error(`unknown route ${route}`);
    return q;
  }

  private isFull(route: R): boolean {
    const q = this.queue(route);
    return q.items.length >= this.limits.maxItems || q.bytes >= this.limits.maxBytes;
  }

  private dropOldest(): QueuedItem<R> | undefined {
    let oldest: { items: Deque<QueuedItem<R>>; bytes: number } | undefined;
    for (const q of this.queues.values()) {
      const head = q.items.peek();
      if (head && (!oldest || head.seq < (oldest.items.peek() as QueuedItem<R>).seq)) oldest = q;
    }
    const item = oldest?.items.shift();
    if (oldest && item) {
      oldest.bytes -= item.bytes;
      this.total -= 1;
    }
    return item;
  }

  private arm(): void {
    this.timerArmed = true;
    this.timer = this.timers.setTimeout(
      () => {
        this.timerArmed = false;
        this.timer = undefined;
        this.dueThrough = this.seq;
        this.onDue();
      },
      this.limits.maxDelayMs,
      true,
    );
  }

  private disarm(): void {
    if (this.timerArmed) this.timers.clearTimeout(this.timer);
    this.timerArmed = false;
    this.timer = undefined;
  }
}
