import { describe, expect, it } from 'vitest';
import { describe as describeContent } from '../../src/channels/content.js';
import { EMBED_LIMITS, embedLength } from '../../src/channels/discord/embed-limits.js';
import { renderEmbed, renderMessages } from '../../src/channels/discord/render-discord.js';
import { renderHtml as renderEmailHtml } from '../../src/channels/email/render-html.js';
import { renderText } from '../../src/channels/render-text.js';
import { visibleLength } from '../../src/channels/telegram/html.js';
import { renderParts } from '../../src/channels/telegram/render.js';
import { MESSAGE_MAX } from '../../src/channels/telegram/split.js';
import { renderJson, renderSlack, SLACK_TEXT_MAX } from '../../src/channels/webhook/render-webhook.js';
import { validateConfig } from '../../src/config/load.js';
import { partitionGrouped } from '../../src/grouping/group-jobs.js';
import {
  addToGroup,
  applyChange,
  flushGroup,
  GONE_KEEP_MS,
  joinGroup,
  OVERDUE_MS,
  type GroupMessage,
  type GroupState,
} from '../../src/grouping/group-state.js';
import type { AlertView } from '../../src/model/alert.js';
import type { GroupRef, Notification } from '../../src/model/notification.js';
import type { Severity } from '../../src/model/severity.js';
import { HOUR, MIN, SEC, T0 } from './helpers.js';

const REF: GroupRef = {
  key: '0|source=grid-1,alertname=api_latency',
  labels: { source: 'grid-1', alertname: 'api_latency' },
  waitMs: 10 * SEC,
  intervalMs: MIN,
};

/**
 * A group driven the way the store drives it (state through JSON, as through Redis), with the
 * clock in the test's hands: `at(t)` runs every flush due by `t`, then the test adds or looks.
 */
class Group {
  state: GroupState = { members: new Map(), gone: new Map() };
  readonly messages: GroupMessage[] = [];
  private version = 0;

  constructor(
    readonly ref: GroupRef = REF,
    private readonly sendResolved = true,
  ) {}

  /** Runs the flushes due by `t`, in order. */
  at(t: number): this {
    let runs = 0;
    for (let next = this.next; next && next.due <= t; next = this.next) {
      if (++runs > 1000) throw new Error('the group keeps scheduling flushes that are due already');
      this.flush(next.seq, next.due);
    }
    return this;
  }

  add(t: number, ...ns: Notification[]): boolean {
    this.at(t);
    const change = addToGroup(this.state, this.ref, ns, t);
    if (change) this.state = roundTrip(applyChange(this.state, change));
    return change !== undefined;
  }

  flush(seq: number, t: number): GroupMessage | undefined {
    const r = flushGroup(this.state, seq, t, { messageId: `m${seq}`, sendResolved: this.sendResolved });
    if (r.change) this.state = roundTrip(applyChange(this.state, r.change));
    if (r.message) this.messages.push(r.message);
    return r.message;
  }

  get next() {
    return this.state.meta?.next;
  }

  /** `kind: name:severity, name:resolved` per message, the part a user notices. */
  told(): string[] {
    return this.messages.map(
      (m) =>
        `${m.kind}: ${m.alerts.map((a) => `${a.labels.symbol}:${a.status === 'resolved' ? 'resolved' : a.severity}`).join(', ')}`,
    );
  }

  note(
    symbol: string,
    kind: Notification['kind'],
    severity: Severity = 'warning',
    extra: Partial<AlertView> = {},
  ): Notification {
    this.version += 1;
    const fp = `fp-${symbol}`;
    return {
      id: `${fp}.${this.version}.${kind}.hook`,
      receiver: 'hook',
      kind,
      alerts: [
        {
          fingerprint: fp,
          name: 'api_latency',
          status: kind === 'resolved' ? 'resolved' : 'firing',
          severity,
          labels: { source: 'grid-1', symbol },
          annotations: { title: `api latency on ${symbol}` },
          startsAt: T0,
          firingAt: T0,
          occurrences: 1,
          ...extra,
        },
      ],
      thread: fp,
      createdAt: T0,
      group: this.ref,
    };
  }
}

function roundTrip(s: GroupState): GroupState {
  const j = JSON.parse(JSON.stringify({ meta: s.meta, members: [...s.members], gone: [...s.gone] })) as {
    meta: GroupState['meta'];
    members: [string, never][];
    gone: [string, never][];
  };
  const out: GroupState = { members: new Map(j.members), gone: new Map(j.gone) };
  if (j.meta) out.meta = j.meta;
  return out;
}

describe('grouping: when a group speaks', () => {
  it('a new group waits group_wait for more alerts, then tells them all in one message', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'));
    expect(g.next).toEqual({ seq: 1, due: T0 + 10 * SEC });
    // Alerts that join during the wait do not move the first message.
    g.add(T0 + 3 * SEC, g.note('ETH', 'firing', 'critical'));
    g.add(T0 + 9 * SEC, g.note('SOL', 'firing'));
    expect(g.next).toEqual({ seq: 1, due: T0 + 10 * SEC });
    g.at(T0 + 10 * SEC);
    expect(g.told()).toEqual(['firing: ETH:critical, BTC:warning, SOL:warning']);
    expect(g.messages[0]?.after).toBeUndefined();
    expect(g.next).toBeUndefined();
  });

  it('after a message, what changes is told group_interval after it, and the next message follows the last', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'));
    g.at(T0 + 10 * SEC);
    g.add(T0 + 20 * SEC, g.note('ETH', 'firing'));
    expect(g.next?.due).toBe(T0 + 10 * SEC + MIN);
    g.at(T0 + 10 * SEC + MIN);
    expect(g.told()).toEqual(['firing: BTC:warning', 'firing: BTC:warning, ETH:warning']);
    expect(g.messages[1]?.after).toBe('m1');
    // Long after the last message: told at once.
    g.add(T0 + HOUR, g.note('SOL', 'firing'));
    expect(g.next?.due).toBe(T0 + HOUR);
  });

  it('an alert that rises to critical during group_wait is told once, as critical', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing', 'warning'));
    g.add(T0 + 4 * SEC, g.note('BTC', 'firing', 'critical'));
    g.at(T0 + HOUR);
    expect(g.told()).toEqual(['firing: BTC:critical']);
  });

  it('an alert that fires and resolves within group_wait is never told', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'));
    g.add(T0 + 2 * SEC, g.note('BTC', 'resolved'));
    g.at(T0 + HOUR);
    expect(g.told()).toEqual([]);
    expect(g.state.meta?.size).toBe(0);
    // Beside others, it is left out of their message.
    const h = new Group();
    h.add(T0, h.note('BTC', 'firing'), h.note('ETH', 'firing'));
    h.add(T0 + 2 * SEC, h.note('BTC', 'resolved'));
    h.at(T0 + HOUR);
    expect(h.told()).toEqual(['firing: ETH:warning']);
  });

  it('a resolve goes out in the next message, beside the alerts still firing, and then leaves the group', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'), g.note('ETH', 'firing'));
    g.at(T0 + 10 * SEC);
    g.add(T0 + 30 * SEC, g.note('BTC', 'resolved'));
    g.at(T0 + 10 * SEC + MIN);
    g.add(T0 + 5 * MIN, g.note('ETH', 'resolved'));
    g.at(T0 + HOUR);
    expect(g.told()).toEqual([
      'firing: BTC:warning, ETH:warning',
      'firing: ETH:warning, BTC:resolved',
      'resolved: ETH:resolved',
    ]);
    expect(g.state.members.size).toBe(0);
    expect(g.state.meta?.size).toBe(0);
  });

  it('a severity that rose since the alert was told counts as a change; one that fell does not', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing', 'warning'));
    g.at(T0 + 10 * SEC);
    // A reminder at a lower severity changes nothing to tell.
    g.add(T0 + 20 * SEC, g.note('BTC', 'repeat', 'info'));
    g.add(T0 + 30 * SEC, g.note('BTC', 'acknowledged', 'critical'));
    g.at(T0 + HOUR);
    expect(g.told()).toEqual(['firing: BTC:warning', 'firing: BTC:critical']);
    expect(g.messages[1]?.raisedFrom).toBe('warning');
  });

  it('fires again after a resolve that was not told yet: told once, as firing', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'));
    g.at(T0 + 10 * SEC);
    g.add(T0 + 20 * SEC, g.note('BTC', 'resolved'));
    g.add(T0 + 30 * SEC, g.note('BTC', 'firing'));
    g.at(T0 + HOUR);
    expect(g.told()).toEqual(['firing: BTC:warning', 'firing: BTC:warning']);
  });

  it('a group that emptied forms again as a new one: it waits group_wait', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'));
    g.at(T0 + 10 * SEC);
    g.add(T0 + 20 * SEC, g.note('BTC', 'resolved'));
    g.at(T0 + 10 * SEC + MIN);
    expect(g.state.meta?.size).toBe(0);
    expect(g.next).toBeUndefined();
    g.add(T0 + 2 * MIN, g.note('ETH', 'firing'));
    expect(g.next?.due).toBe(T0 + 2 * MIN + 10 * SEC);
    g.at(T0 + HOUR);
    expect(g.told()).toEqual(['firing: BTC:warning', 'resolved: BTC:resolved', 'firing: ETH:warning']);
    expect(g.messages.map((m) => m.after)).toEqual([undefined, 'm1', 'm2']);
  });

  it('nothing to tell: no message, and no flush pending', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'));
    g.at(T0 + 10 * SEC);
    // Only an update (acknowledged), no change: nothing scheduled.
    g.add(T0 + 20 * SEC, g.note('BTC', 'acknowledged', 'warning', { acknowledged: { by: 'ops', at: T0 } }));
    expect(g.next).toBeUndefined();
    g.at(T0 + 10 * HOUR);
    expect(g.messages).toHaveLength(1);
  });

  it('repeat_interval: the whole group is told again while alerts fire, and not once they are all acknowledged', () => {
    const g = new Group({ ...REF, repeatMs: HOUR });
    g.add(T0, g.note('BTC', 'firing'), g.note('ETH', 'firing'));
    g.at(T0 + 10 * SEC);
    expect(g.next).toEqual({ seq: 2, due: T0 + 10 * SEC + HOUR });
    g.at(T0 + 10 * SEC + HOUR);
    expect(g.told()).toEqual(['firing: BTC:warning, ETH:warning', 'repeat: BTC:warning, ETH:warning']);
    const ack = { acknowledged: { by: 'ops', at: T0 } };
    g.add(
      T0 + 2 * HOUR,
      g.note('BTC', 'acknowledged', 'warning', ack),
      g.note('ETH', 'acknowledged', 'warning', ack),
    );
    g.at(T0 + 5 * HOUR);
    expect(g.messages).toHaveLength(2);
    // A change is still told (and with it, the next reminder is looked at again).
    g.add(T0 + 6 * HOUR, g.note('SOL', 'firing'));
    g.at(T0 + 6 * HOUR + MIN);
    expect(g.told().at(-1)).toBe('firing: BTC:warning, ETH:warning, SOL:warning');
  });

  it('an alert’s own reminder (its rule’s repeat) is a repeat of the group', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'), g.note('ETH', 'firing'));
    g.at(T0 + 10 * SEC);
    g.add(T0 + 2 * HOUR, g.note('BTC', 'repeat'));
    g.at(T0 + 3 * HOUR);
    expect(g.told()).toEqual(['firing: BTC:warning, ETH:warning', 'repeat: BTC:warning, ETH:warning']);
  });

  it('a receiver that does not want resolves: resolved alerts leave the group untold', () => {
    const g = new Group(REF, false);
    g.add(T0, g.note('BTC', 'firing'), g.note('ETH', 'firing'));
    g.at(T0 + 10 * SEC);
    g.add(T0 + 20 * SEC, g.note('BTC', 'resolved'));
    g.at(T0 + HOUR);
    g.add(T0 + 2 * HOUR, g.note('SOL', 'firing'));
    g.at(T0 + 3 * HOUR);
    expect(g.told()).toEqual(['firing: BTC:warning, ETH:warning', 'firing: ETH:warning, SOL:warning']);
  });
});

describe('grouping: idempotent under reruns and races', () => {
  it('a notification added again changes nothing, even after its alert left the group', () => {
    const g = new Group();
    const fire = g.note('BTC', 'firing');
    expect(g.add(T0, fire)).toBe(true);
    expect(g.add(T0 + SEC, fire)).toBe(false);
    g.at(T0 + 10 * SEC);
    const resolve = g.note('BTC', 'resolved');
    g.add(T0 + 20 * SEC, resolve);
    g.at(T0 + HOUR);
    expect(g.state.members.size).toBe(0);
    // A job run again late re-enqueues both: the gone member remembers them.
    expect(g.add(T0 + 2 * HOUR, fire, resolve)).toBe(false);
    g.at(T0 + 3 * HOUR);
    expect(g.told()).toEqual(['firing: BTC:warning', 'resolved: BTC:resolved']);
    // Forgotten after GONE_KEEP_MS.
    g.add(T0 + GONE_KEEP_MS + 2 * HOUR, g.note('ETH', 'firing'));
    g.at(T0 + GONE_KEEP_MS + 3 * HOUR);
    expect(g.state.gone.has('fp-BTC')).toBe(false);
  });

  it('a flush that is not the pending one (run again, or overtaken) changes nothing', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'));
    const first = g.next?.seq as number;
    g.flush(first, T0 + 10 * SEC);
    expect(g.flush(first, T0 + 11 * SEC)).toBeUndefined();
    expect(g.messages).toHaveLength(1);
    const r = flushGroup(g.state, 99, T0 + HOUR, { messageId: 'x', sendResolved: true });
    expect(r).toEqual({});
  });

  it('a pending reminder far off is moved earlier by a change, under a new flush number', () => {
    const g = new Group({ ...REF, repeatMs: 4 * HOUR });
    g.add(T0, g.note('BTC', 'firing'));
    g.at(T0 + 10 * SEC);
    expect(g.next).toEqual({ seq: 2, due: T0 + 10 * SEC + 4 * HOUR });
    g.add(T0 + 5 * MIN, g.note('ETH', 'firing'));
    expect(g.next).toEqual({ seq: 3, due: T0 + 5 * MIN });
    // The old job still runs at its time: it is not the pending flush any more.
    expect(g.flush(2, T0 + 10 * SEC + 4 * HOUR)).toBeUndefined();
  });

  it('a pending flush long overdue (its job lost) is scheduled anew by the next add', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'));
    expect(g.next).toEqual({ seq: 1, due: T0 + 10 * SEC });
    const late = T0 + 10 * SEC + OVERDUE_MS;
    const change = addToGroup(g.state, REF, [g.note('ETH', 'firing')], late);
    expect(change?.meta.next).toEqual({ seq: 2, due: late });
  });

  it('decides the same on the same state: a flush run on a copy gives the same message', () => {
    const g = new Group();
    g.add(T0, g.note('BTC', 'firing'), g.note('ETH', 'resolved'));
    const a = flushGroup(g.state, 1, T0 + 10 * SEC, { messageId: 'm1', sendResolved: true });
    const b = flushGroup(roundTrip(g.state), 1, T0 + 10 * SEC, { messageId: 'm1', sendResolved: true });
    expect(b).toEqual(a);
  });
});

describe('grouping: a flush due at once runs in the same transition as the join', () => {
  const NOW_REF: GroupRef = { ...REF, waitMs: 0 };
  const opts = { messageIdOf: (seq: number) => `m${seq}`, sendResolved: true };

  /** The state and message of a join, and of the same add followed by its flush, for comparison. */
  function bothWays(state: GroupState, ns: Notification[], t: number) {
    const joined = joinGroup(state, NOW_REF, ns, t, opts);
    const added = addToGroup(state, NOW_REF, ns, t);
    if (!joined || !added) throw new Error('expected a change');
    const afterAdd = applyChange(state, added);
    const seq = added.meta.next?.seq as number;
    const flushed = flushGroup(afterAdd, seq, t, { messageId: `m${seq}`, sendResolved: true });
    return {
      joined: {
        state: roundTrip(applyChange(state, joined.change)),
        message: joined.message,
        next: joined.next,
      },
      apart: {
        state: roundTrip(flushed.change ? applyChange(afterAdd, flushed.change) : afterAdd),
        message: flushed.message,
        next: flushed.next,
      },
    };
  }

  it('group_wait 0: a new group tells its alerts at once, exactly as a flush job right after would', () => {
    const g = new Group(NOW_REF);
    const { joined, apart } = bothWays(
      g.state,
      [g.note('BTC', 'firing'), g.note('ETH', 'firing', 'critical')],
      T0,
    );
    expect(joined).toEqual(apart);
    expect(joined.message?.alerts.map((a) => a.labels.symbol)).toEqual(['ETH', 'BTC']);
    expect(joined.state.meta?.next).toBeUndefined();
    expect([...joined.state.members.values()].every((m) => m.told && !m.changed)).toBe(true);
  });

  it('an alert that fires and resolves in one join is never told, and is remembered as gone', () => {
    const g = new Group(NOW_REF);
    const { joined, apart } = bothWays(
      g.state,
      [g.note('BTC', 'firing'), g.note('ETH', 'firing'), g.note('ETH', 'resolved')],
      T0,
    );
    expect(joined).toEqual(apart);
    expect(joined.message?.alerts.map((a) => a.labels.symbol)).toEqual(['BTC']);
    expect(joined.state.members.has('fp-ETH')).toBe(false);
    expect(joined.state.gone.get('fp-ETH')?.ids).toHaveLength(2);
  });

  it('a member that comes back after leaving: its gone entry goes, and it is told again', () => {
    const g = new Group(NOW_REF);
    const fire = g.note('BTC', 'firing');
    g.state = roundTrip(applyChange(g.state, joinGroup(g.state, NOW_REF, [fire], T0, opts)?.change as never));
    const resolve = g.note('BTC', 'resolved');
    g.state = roundTrip(
      applyChange(g.state, joinGroup(g.state, NOW_REF, [resolve], T0 + 2 * MIN, opts)?.change as never),
    );
    expect(g.state.gone.has('fp-BTC')).toBe(true);
    const { joined, apart } = bothWays(g.state, [g.note('BTC', 'firing', 'critical')], T0 + 10 * MIN);
    expect(joined).toEqual(apart);
    expect(joined.message?.kind).toBe('firing');
    expect(joined.state.gone.has('fp-BTC')).toBe(false);
  });

  it('a standing group read only in part keeps its flush for a job: nothing is told from half a group', () => {
    const g = new Group(NOW_REF);
    g.state = roundTrip(
      applyChange(
        g.state,
        joinGroup(g.state, NOW_REF, [g.note('BTC', 'firing'), g.note('ETH', 'firing')], T0, opts)
          ?.change as never,
      ),
    );
    // What the store reads to add SOL: the meta and SOL's own entries, not BTC and ETH.
    const partial: GroupState = { meta: g.state.meta, members: new Map(), gone: new Map() };
    const r = joinGroup(partial, NOW_REF, [g.note('SOL', 'firing')], T0 + 5 * MIN, opts);
    expect(r?.message).toBeUndefined();
    expect(r?.next).toEqual({ seq: 2, due: T0 + 5 * MIN });
    // With the whole group read, the same join tells all three.
    const whole = joinGroup(g.state, NOW_REF, [g.note('SOL', 'firing')], T0 + 5 * MIN, opts);
    expect(whole?.message?.alerts.map((a) => a.labels.symbol)).toEqual(['BTC', 'ETH', 'SOL']);
  });

  it('with a group_wait, a join only schedules the flush', () => {
    const g = new Group();
    const r = joinGroup(g.state, REF, [g.note('BTC', 'firing')], T0, opts);
    expect(r?.message).toBeUndefined();
    expect(r?.next).toEqual({ seq: 1, due: T0 + 10 * SEC });
  });
});

describe('grouping: a 500-alert group in every layout', () => {
  const g = new Group();
  const ns = Array.from({ length: 500 }, (_, i) =>
    g.note(`SYM${i}`, 'firing', i % 7 === 0 ? 'critical' : 'warning', { value: 1200 + i, unit: 'ms' }),
  );
  g.add(T0, ...ns);
  g.at(T0 + HOUR);
  const m = g.messages[0] as GroupMessage;
  const n: Notification = {
    id: 'group.hook.abc.1',
    receiver: 'hook',
    kind: m.kind,
    alerts: m.alerts,
    thread: 'group:abc',
    createdAt: T0 + 10 * SEC,
  };
  const c = describeContent(n);
  const symbols = n.alerts.map((a) => a.labels.symbol as string);
  /** Every alert's symbol appears in `text`, as a label of its own line (SYM1 is not SYM10). */
  const namesAll = (text: string) => symbols.every((s) => text.includes(`symbol=${s} `));

  it('the group message lists every alert once, the most severe first', () => {
    expect(m.alerts).toHaveLength(500);
    expect(new Set(symbols).size).toBe(500);
    expect(m.alerts.slice(0, 72).every((a) => a.severity === 'critical')).toBe(true);
    expect(c.headline).toBe('CRITICAL 500 alerts firing: api_latency on grid-1');
    expect(c.items).toHaveLength(500);
    expect(c.more).toBe(0);
  });

  it('Telegram: parts within 4096 characters that name every alert between them', () => {
    const parts = renderParts(c);
    expect(parts.length).toBeGreaterThan(1);
    for (const p of parts) expect(visibleLength(p)).toBeLessThanOrEqual(MESSAGE_MAX);
    expect(namesAll(parts.join('\n'))).toBe(true);
  });

  it('Discord: one embed within every limit, whole lines, and the count of alerts it could not show', () => {
    const e = renderEmbed(c);
    expect(embedLength(e)).toBeLessThanOrEqual(EMBED_LIMITS.total);
    expect((e.description ?? '').length).toBeLessThanOrEqual(EMBED_LIMITS.description);
    const lines = (e.description ?? '').split('\n');
    const shown = lines.filter((l) => l.startsWith('- '));
    expect(shown.length).toBeGreaterThan(20);
    expect(shown.every((l) => l.endsWith(')'))).toBe(true);
    expect(lines.at(-1)).toBe(`… and ${500 - shown.length} more`);
  });

  it('Discord: the embed, then messages that name every alert it could not list, each within every limit', () => {
    const embeds = renderMessages(c);
    expect(embeds.length).toBeGreaterThan(1);
    for (const e of embeds) {
      expect(embedLength(e)).toBeLessThanOrEqual(EMBED_LIMITS.total);
      expect((e.description ?? '').length).toBeLessThanOrEqual(EMBED_LIMITS.description);
    }
    const first = (embeds[0]?.description ?? '').split('\n');
    const listed = first.filter((l) => l.startsWith('- ')).length;
    expect(first.at(-1)).toBe(`… and ${500 - listed} more in the next messages`);
    expect(embeds[1]?.title).toBe('CRITICAL 500 alerts firing: api\\_latency on grid-1 (continued)');
    const all = embeds.map((e) => e.description ?? '').join('\n');
    expect(all.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(500);
    expect(symbols.every((sym) => all.includes(`symbol=${sym} `))).toBe(true);
  });

  it('email, webhook (JSON) and file: every alert named', () => {
    const html = renderEmailHtml(c);
    expect(symbols.every((s) => html.includes(`symbol=${s} `))).toBe(true);
    expect(namesAll(renderText(c).text)).toBe(true);
    const json = renderJson(n, c);
    expect(json.notification.alerts).toHaveLength(500);
    expect(namesAll(json.text)).toBe(true);
  });

  it('Slack-format webhooks stay within what Slack shows (the list is cut there)', () => {
    const slack = renderSlack(c);
    expect(slack.attachments[0]?.text.length).toBeLessThanOrEqual(SLACK_TEXT_MAX + 100);
  });

  it('PagerDuty receivers are never grouped: their notifications go on their own', () => {
    const receivers = validateConfig(
      {
        receivers: {
          pd: { type: 'pagerduty', routing_key: 'r'.repeat(32) },
          hook: { type: 'webhook', url: 'http://127.0.0.1:9/hook' },
        },
        routes: { receivers: ['pd', 'hook'] },
      },
      'test',
    ).config.receivers;
    const one = ns[0] as Notification;
    const { alone, grouped } = partitionGrouped([{ ...one, receiver: 'pd' }, one], receivers);
    expect(grouped.map((x) => x.receiver)).toEqual(['hook']);
    expect(alone).toHaveLength(1);
    expect(alone[0]?.receiver).toBe('pd');
    expect(alone[0]?.group).toBeUndefined();
  });
});
