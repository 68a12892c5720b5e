import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  compareEntries,
  decodeCursor,
  encodeCursor,
  mergeShardRanges,
  type IndexEntry,
} from '../../src/state/alert-pages.js';

describe('cursors of GET /v1/alerts', () => {
  it('round-trip a position, ties and all', () => {
    const p = { score: 1_795_257_600_123, fp: '3f2a4b5c6d7e8f9012345678' };
    const c = encodeCursor(p);
    expect(c).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(decodeCursor(c)).toEqual(p);
  });

  it('refuse anything they did not make', () => {
    const enc = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    for (const bad of [
      '',
      'not a cursor',
      'abc$',
      enc({ score: 1, fp: 'a' }),
      enc([1]),
      enc(['1', 'a']),
      enc([1, 'a b']),
      enc([1, '']),
      enc([null, 'a']),
      Buffer.from('[1e999,"a"]').toString('base64url'),
      'x'.repeat(500),
    ])
      expect(decodeCursor(bad), bad).toBeUndefined();
  });
});

describe('merging the shards’ index ranges', () => {
  it('newest first, ties by fingerprint descending', () => {
    const sorted = [
      { score: 3, fp: 'a' },
      { score: 2, fp: 'c' },
      { score: 2, fp: 'b' },
      { score: 1, fp: 'z' },
    ];
    expect([...sorted].reverse().sort(compareEntries)).toEqual(sorted);
  });

  it('the first `want` of the merge are the first `want` of the whole listing', () => {
    const entry = fc.record({
      shard: fc.integer({ min: 0, max: 3 }),
      score: fc.integer({ min: 0, max: 5 }),
      fp: fc.stringMatching(/^[0-9a-f]{1,3}$/),
    });
    fc.assert(
      fc.property(
        fc.uniqueArray(entry, { selector: (e) => e.fp }),
        fc.integer({ min: 1, max: 8 }),
        (all, want) => {
          const whole = [...all].sort(compareEntries);
          // Each shard gives its own first want + 1 entries, as the index script does.
          const ranges: IndexEntry[][] = [0, 1, 2, 3].map((s) =>
            whole.filter((e) => e.shard === s).slice(0, want + 1),
          );
          const { entries, more } = mergeShardRanges(ranges, want);
          expect(entries).toEqual(whole.slice(0, want));
          expect(more).toBe(whole.length > want);
        },
      ),
    );
  });
});
