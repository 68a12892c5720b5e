import { describe, expect, it } from 'vitest';
import type { Item, Sent } from '../../chaos/load.js';
import type { Receipt } from '../../chaos/receiver.js';
import { tally } from '../../chaos/tally.js';

/** The chaos tally on made-up pushes and receipts: what it calls owed, lost, duplicated. */
describe('chaos tally', () => {
  const item = (key: string, kind: Item['kind'] = 'alert'): Item => ({ key, kind, body: {} });
  const sent = (items: Item[], statuses: (number | string)[]): Sent => ({
    path: '/v1/alerts',
    items,
    attempts: statuses.map((status, i) => ({ at: i, status })),
    accepted: statuses.at(-1) === 202,
    gaveUp: statuses.at(-1) !== 202,
    rejected: false,
  });
  const got = (id: string, key: string, at = 0): Receipt => ({ id, key, kind: 'firing', at });
  const opts = { dedupMax: 3, events: [{ at: 100, what: 'SIGKILL worker-1' }], t0: 0 };

  it('owes one per accepted input and counts the missing ones as lost', () => {
    const t = tally(
      [sent([item('a0'), item('a1')], [202]), sent([item('b2', 'breach')], [202])],
      [got('x.1', 'a0'), got('y.1', 'b2')],
      opts,
    );
    expect(t).toMatchObject({ owed: 3, delivered: 2, lost: 1, lostKeys: ['a1'], duplicated: 0 });
  });

  it('counts a notification id received twice as a duplicate, with the chaos event closest to it', () => {
    const t = tally([sent([item('a0')], [202])], [got('x.1', 'a0', 90), got('x.1', 'a0', 4000)], opts);
    expect(t).toMatchObject({ owed: 1, delivered: 1, lost: 0, duplicated: 1, otherIdBug: 0 });
    expect(t.duplicates[0]).toMatchObject({
      id: 'x.1',
      copies: 2,
      nearest: { what: 'SIGKILL worker-1', afterFirstMs: 10 },
    });
  });

  it('tells an input told under two ids apart from one whose push was retried after a 503', () => {
    const t = tally(
      [sent([item('a0')], [202]), sent([item('a1')], [503, 202]), sent([item('a2')], [429, 202])],
      [
        got('x.1', 'a0'),
        got('x2.1', 'a0'),
        got('y.1', 'a1'),
        got('y2.1', 'a1'),
        got('z.1', 'a2'),
        got('z2.1', 'a2'),
      ],
      opts,
    );
    expect(t).toMatchObject({ owed: 3, delivered: 3, lost: 0, otherIdBug: 2, otherIdRetried: 1 });
    expect(t.otherIdKeys.sort()).toEqual(['a0', 'a1', 'a2']);
  });

  it('owes min(copies accepted, dedup max) for copies of one alert', () => {
    const copies = (n: number, key: string) =>
      Array.from({ length: n }, () => sent([item(key, 'same')], [202]));
    const t = tally(
      [...copies(5, 'r0'), ...copies(2, 'r1')],
      [got('1.1', 'r0'), got('2.1', 'r0'), got('3.1', 'r0'), got('4.1', 'r1')],
      opts,
    );
    expect(t).toMatchObject({ owed: 5, delivered: 4, lost: 1, lostKeys: ['r1'], otherIdBug: 0 });
  });

  it('flags a unique input told with an alert version other than 1 (evaluated twice)', () => {
    const t = tally(
      [sent([item('a0'), item('a1')], [202]), sent([item('a2')], [503, 202])],
      [
        got('fp0.2.firing.hook', 'a0'),
        got('fp1.1.firing.hook', 'a1'),
        // pushed again after a 503 that had stored it: the bot's second push, not Klaxon's
        got('fp2.1.firing.hook', 'a2'),
        got('fp2.2.firing.hook', 'a2'),
      ],
      opts,
    );
    expect(t).toMatchObject({ owed: 3, delivered: 3, lost: 0, appliedTwice: 1, otherIdRetried: 1 });
    expect(t.appliedTwiceIds).toEqual(['fp0.2.firing.hook']);
  });

  it('owes nothing for inputs never accepted, and flags notifications about no input', () => {
    const t = tally([sent([item('a0')], [503, 503])], [got('x.1', 'a0'), got('q.1', 'nobody')], opts);
    expect(t).toMatchObject({ owed: 0, lost: 0, unowed: 1, unknown: 1 });
  });
});
