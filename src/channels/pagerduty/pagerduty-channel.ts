import { event } from '@pagerduty/pdjs';
import { SendError, type Channel, type Delivery, type SendOutcome } from '../channel.js';
import { AnswerWatch, type SeenAnswer } from './answer-watch.js';
import { readAnswer, readFailure, type Accepted, type AnswerContext } from './classify.js';
import { renderEvents, type PagerDutyEvent } from './render-event.js';
import {
  DEFAULT_CLIENT,
  DEFAULT_SERVER,
  parseServer,
  ROUTING_KEY_LENGTH,
  type ServerAddress,
} from './schema.js';
import { verifyServer } from './verify.js';

export interface PagerDutyChannelOptions {
  /** The integration key: the credential. Travels in the event body only; never in a message. */
  routingKey: string;
  /** `host[:port]`; pdjs always posts to `https://<server>/v2/enqueue`. */
  server?: string;
  client?: string;
  clientUrl?: string;
}

/**
 * The options pdjs's `event()` is called with. Its own types miss `agent` (spread into the
 * node-fetch call, like every key besides `server`, `type` and `data`) and `client`/`client_url`
 * in the event: this narrow type says what we pass, and the one cast below hands it over.
 */
interface PdjsEventCall {
  server: string;
  data: PagerDutyEvent;
  /** 0: pdjs would otherwise start a do-nothing 30 s timer per call and never clear it on errors. */
  requestTimeout: 0;
  /** 0: should a 429 ever get past the answer watch, pdjs's retries do not sleep 20 s each. */
  retryTimeout: 0;
  signal: AbortSignal;
  agent: AnswerWatch;
}

/** How many events of a group the detail names one by one. */
const DETAIL_LIST_MAX = 10;

/** Kinds whose trigger starts (or restarts) the thread: its dedup_key becomes the ref. */
const TRIGGER_KINDS = new Set(['firing', 'repeat', 'escalated', 'flapping']);

/**
 * Sends notifications as PagerDuty Events API v2 events with @pagerduty/pdjs: one request per
 * event, no retries of its own (the worker retries), classification of every answer, and no
 * routing key in anything it throws or returns. Threading is by dedup_key (the alert's
 * fingerprint): PagerDuty has no edits, so acknowledge and resolve are events of their own, and a
 * resolve is always sent (PagerDuty drops one for a key it does not know).
 */
export class PagerDutyChannel implements Channel {
  readonly type = 'pagerduty';
  readonly name: string;
  readonly server: string;
  readonly address: ServerAddress;
  readonly #routingKey: string;
  readonly #client: string;
  readonly #clientUrl: string | undefined;

  constructor(name: string, opts: PagerDutyChannelOptions) {
    this.name = name;
    if (opts.routingKey.length !== ROUTING_KEY_LENGTH) {
      throw new Error(`${this.#where}: routing_key must be exactly ${ROUTING_KEY_LENGTH} characters`);
    }
    this.#routingKey = opts.routingKey;
    this.server = opts.server ?? DEFAULT_SERVER;
    this.address = parseServer(this.server);
    this.#client = opts.client ?? DEFAULT_CLIENT;
    this.#clientUrl = opts.clientUrl;
  }

  get #where(): string {
    return `pagerduty receiver "${this.name}"`;
  }

  async send(d: Delivery): Promise<SendOutcome> {
    const events = renderEvents(d.notification, d.content, {
      routingKey: this.#routingKey,
      client: this.#client,
      clientUrl: this.#clientUrl,
    });
    const accepted: Accepted[] = [];
    for (const [i, ev] of events.entries()) {
      try {
        accepted.push(await this.#post(ev, d));
      } catch (err) {
        throw events.length > 1 ? inGroup(err, i, events) : err;
      }
    }
    return this.#outcome(d, events, accepted);
  }

  verify(signal: AbortSignal): Promise<string> {
    return verifyServer(this.#where, this.address, signal);
  }

  /** One event, one request. */
  async #post(ev: PagerDutyEvent, d: Delivery): Promise<Accepted> {
    const ctx: AnswerContext = {
      where: this.#where,
      sentKey: ev.dedup_key,
      now: d.now,
      secrets: [this.#routingKey],
    };
    if (d.signal.aborted) return readFailure(undefined, undefined, true, ctx);
    const cutShort = new AbortController();
    let seen: SeenAnswer | undefined;
    const agent = new AnswerWatch((answer) => {
      seen = answer;
      if (answer.status === 429) cutShort.abort();
    });
    const call: PdjsEventCall = {
      server: this.server,
      data: ev,
      requestTimeout: 0,
      retryTimeout: 0,
      signal: AbortSignal.any([d.signal, cutShort.signal]),
      agent,
    };
    try {
      const r = await event(call as unknown as Parameters<typeof event>[0]);
      return readAnswer(r.status, r.data, r.headers.get('retry-after') ?? undefined, ctx);
    } catch (err) {
      if (err instanceof SendError) throw err;
      return readFailure(err, seen, d.signal.aborted, ctx);
    } finally {
      agent.destroy();
    }
  }

  #outcome(d: Delivery, events: PagerDutyEvent[], accepted: Accepted[]): SendOutcome {
    const n = d.notification;
    const first = accepted[0];
    const ev = events[0];
    if (!first || !ev) return {};
    const said = `PagerDuty ${first.status}${first.message ? ` ${first.message}` : ''}`;
    if (n.kind === 'test') {
      return { detail: `${said}: test event triggered and resolved (dedup_key ${ev.dedup_key})` };
    }
    if (events.length > 1 || n.kind === 'summary') {
      const list = events
        .slice(0, DETAIL_LIST_MAX)
        .map((e, i) => `${e.event_action} ${accepted[i]?.dedupKey ?? e.dedup_key}`);
      const more = events.length > DETAIL_LIST_MAX ? `, … ${events.length - DETAIL_LIST_MAX} more` : '';
      return { detail: `PagerDuty accepted ${events.length} events: ${list.join(', ')}${more}` };
    }
    const detail = `${said}: ${ev.event_action} dedup_key ${first.dedupKey}`;
    // A trigger opens (or joins) the alert named by its dedup_key: that key is the thread's ref.
    // Reminders keep the ref they answer; acknowledge and resolve never replace it.
    const keepPrevious = n.kind !== 'firing' && d.previous?.id === first.dedupKey;
    if (ev.event_action === 'trigger' && TRIGGER_KINDS.has(n.kind) && !keepPrevious) {
      return { ref: { id: first.dedupKey, sentAt: d.now }, detail };
    }
    return { detail };
  }
}

/** A failure of one event of several: says which, and how many went out before it. */
function inGroup(err: unknown, i: number, events: PagerDutyEvent[]): unknown {
  if (!(err instanceof SendError)) return err;
  const ev = events[i];
  const which = `event ${i + 1} of ${events.length} (${ev?.event_action} ${ev?.dedup_key}; ${i} sent before)`;
  const message = err.message.replace(/^(pagerduty receiver "[^"]*"): /, `$1: ${which}: `);
  return new SendError(message, {
    retryable: err.retryable,
    retryAfterMs: err.retryAfterMs,
    status: err.status,
  });
}
