import { describe, expect, it } from 'vitest';
import { Batcher, type BatchLimits } from '../../src/client/queue.js';
import { FakeTimers } from './fakes.js';

type Route = 'metrics' | 'events' | 'alerts';
const ROUTES: Route[] = ['metrics', 'events', 'alerts'];
const LIMITS: BatchLimits = { maxItems: 3, maxDelayMs: 1000, maxBytes: 1_000_000, maxQueued: 100 };

function make(limits: Partial<BatchLimits> = {}) {
  const timers = new FakeTimers();
  let due = 0;
  const b = new Batcher<Route>(ROUTES, { ...LIMITS, ...limits }, timers, () => (due += 1));
  const item = (n: number) => JSON.stringify({ n });
  const numbers = (batch: { json: string }[] | undefined) =>
    batch?.map((i) => (JSON.parse(i.json) as { n: number }).n);
  return { b, timers, item, numbers, due: () => due };
}

describe('batching decisions', () => {
  it('holds items until maxDelayMs after the first one, then marks all of them due at once', async () => {
    const { b, timers, item, numbers, due } = make();
    b.add('metrics', item(1));
    await timers.advance(600);
    b.add('metrics', item(2)); // does not extend the wait of the first
    b.add('events', item(3));
    expect(timers.pending()).toBe(1);
    expect(b.take('metrics')).toBeUndefined();
    await timers.advance(399);
    expect(due()).toBe(0);
    expect(b.take('metrics')).toBeUndefined();
    await timers.advance(1);
    expect(due()).toBe(1);
    expect(numbers(b.take('metrics'))).toEqual([1, 2]);
    expect(numbers(b.take('events'))).toEqual([3]);
    expect(b.take('alerts')).toBeUndefined();
    expect(b.size).toBe(0);
    expect(timers.pending()).toBe(0);
  });

  it('a route holding maxItems is due at once; the rest waits for the timer', async () => {
    const { b, timers, item, numbers } = make();
    expect(b.add('alerts', item(1)).full).toBe(false);
    expect(b.add('alerts', item(2)).full).toBe(false);
    expect(b.add('alerts', item(3)).full).toBe(true);
    b.add('alerts', item(4));
    expect(numbers(b.take('alerts'))).toEqual([1, 2, 3]);
    expect(b.take('alerts')).toBeUndefined();
    await timers.advance(1000);
    expect(numbers(b.take('alerts'))).toEqual([4]);
  });

  it('an item queued after the timer fired starts a new wait of its own', async () => {
    const { b, timers, item, numbers } = make();
    b.add('events', item(1));
    await timers.advance(1000);
    b.add('events', item(2));
    expect(numbers(b.take('events'))).toEqual([1, 2]); // 2 rides along with the due batch
    b.add('events', item(3));
    expect(b.take('events')).toBeUndefined();
    expect(timers.nextIn()).toBe(1000);
  });

  it('cuts batches at maxBytes, and sends an oversized item on its own', () => {
    const { b, item, numbers } = make({ maxItems: 100, maxBytes: 20 });
    // each item is 7 bytes ({"n":1}); a body of k items takes 7k + k + 1 bytes
    b.add('metrics', item(1));
    b.add('metrics', item(2));
    expect(b.add('metrics', item(3)).full).toBe(true); // 21 bytes queued
    b.markAllDue();
    expect(numbers(b.take('metrics'))).toEqual([1, 2]);
    expect(numbers(b.take('metrics'))).toEqual([3]);
    const big = JSON.stringify({ n: 4, pad: 'x'.repeat(100) });
    expect(b.add('metrics', big).full).toBe(true);
    expect(b.take('metrics')?.map((i) => i.json)).toEqual([big]);
  });

  it('flush (markAllDue) makes everything due and stops the timer', () => {
    const { b, timers, item, numbers } = make();
    b.add('metrics', item(1));
    b.add('events', item(2));
    expect(b.markAllDue()).toBe(2);
    expect(timers.pending()).toBe(0);
    expect(b.holdsThrough('metrics', 2)).toBe(true);
    expect(numbers(b.take('metrics'))).toEqual([1]);
    expect(b.holdsThrough('metrics', 2)).toBe(false);
    b.add('metrics', item(3));
    expect(b.holdsThrough('metrics', 2)).toBe(false);
    expect(b.isDue('events')).toBe(true);
    expect(b.isDue('metrics')).toBe(false);
  });

  it('never holds more than maxQueued: the oldest of all routes go first', () => {
    const { b, item } = make({ maxQueued: 4, maxItems: 100 });
    b.add('metrics', item(1));
    b.add('events', item(2), 'e2');
    b.add('metrics', item(3));
    expect(b.add('alerts', item(4), 'a4').dropped).toEqual([]);
    expect(b.size).toBe(4);
    expect(b.add('events', item(5)).dropped.map((i) => i.json)).toEqual([item(1)]);
    expect(b.add('alerts', item(6)).dropped.map((i) => [i.json, i.id])).toEqual([[item(2), 'e2']]);
    expect(b.size).toBe(4);
    for (let n = 8; n < 10_008; n++) b.add('metrics', item(n));
    expect(b.size).toBe(4);
    expect(b.clear().map((i) => i.json)).toEqual([10_004, 10_005, 10_006, 10_007].map(item));
  });

  it('the delay timer does not hold the process; clear and stop leave no timer behind', () => {
    const { b, timers, item } = make();
    b.add('metrics', item(1));
    expect(timers.pending('all')).toBe(1);
    expect(timers.pending('ref')).toBe(0);
    expect(b.clear()).toHaveLength(1);
    expect(timers.pending()).toBe(0);
    b.add('metrics', item(2));
    b.stop();
    expect(timers.pending()).toBe(0);
  });
});
