import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { killAllChildren } from '../../chaos/cluster.js';
import { oneLine } from '../../chaos/report.js';
import { QUICK_OPTIONS, runScenario, type ScenarioId, type ScenarioResult } from '../../chaos/scenarios.js';

/**
 * The quick form of `npm run chaos` (see docs/chaos.md): each scenario with a small load for a few
 * seconds, against real `klaxon serve` / `klaxon worker` processes and a redis-server of its own
 * (never the shared Redis). Every scenario waits for its conditions with bounded timeouts and
 * stops everything it started (processes, redis-server, temp dir) before it returns.
 *
 * Asserted: nothing accepted (202) is lost; no input is told twice under two ids (a duplicate
 * may only be a send cut mid-flight, repeated with the same notification id); nothing is
 * dead-lettered or left failed; no process exits on its own, and all of them recover.
 */
describe('chaos (quick form)', () => {
  afterAll(() => killAllChildren());

  const TIMEOUT = 120_000;

  async function run(id: ScenarioId): Promise<ScenarioResult> {
    const r = await runScenario(id, QUICK_OPTIONS);
    expectRecovered(r);
    expect(r.tally.lost, oneLine(r)).toBe(0);
    expect(r.tally.delivered, oneLine(r)).toBe(r.tally.owed);
    expect(r.tally.otherIdBug, oneLine(r)).toBe(0);
    expect(r.tally.appliedTwice, oneLine(r)).toBe(0);
    expect(r.problems, oneLine(r)).toEqual([]);
    return r;
  }

  /** Everything but what is owed: the load went in, nothing dead or failed, every process recovered. */
  function expectRecovered(r: ScenarioResult): void {
    const line = oneLine(r);
    expect(r.load.accepted, line).toBeGreaterThan(0);
    expect(r.load.gaveUp, line).toBe(0);
    expect(r.load.rejected, line).toBe(0);
    expect(r.tally.unknown, line).toBe(0);
    expect(r.receiver.mismatched, line).toBe(0);
    expect(r.deadLetters, line).toBe(0);
    expect(r.failedJobs, line).toEqual({ ingest: 0, deliver: 0 });
    expect(r.unexpectedExits, line).toEqual([]);
    expect(
      r.problems.filter((p) => p.startsWith('did not recover') || p.startsWith('timed out')),
      line,
    ).toEqual([]);
  }

  it(
    'kill-workers: SIGKILLed workers lose nothing; a repeated send keeps its id',
    async () => {
      const r = await run('kill-workers');
      expect(r.events.filter((e) => e.what.startsWith('SIGKILL')).length).toBeGreaterThanOrEqual(2);
    },
    TIMEOUT,
  );

  it(
    'redis-restart: a kill -9 of Redis with AOF (appendfsync always) loses nothing accepted',
    async () => {
      const r = await run('redis-restart');
      expect(r.events.some((e) => e.what.includes('killed'))).toBe(true);
    },
    TIMEOUT,
  );

  it(
    'receiver-down: a receiver down for "an hour" (scaled) gets everything once it is back, nothing dead-lettered',
    async () => {
      const r = await run('receiver-down');
      // It was really down: sends were refused while it was.
      expect(r.receiver.refused).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  it(
    'race: three worker processes on the same alerts give exactly the dedup cap per alert',
    async () => {
      const r = await run('race');
      expect(r.events.filter((e) => e.what.startsWith('round')).length).toBe(QUICK_OPTIONS.rounds);
    },
    TIMEOUT,
  );

  it(
    'redis-outage: inputs pushed while Redis is away get 503, are retried, and none accepted is lost',
    async () => {
      const r = await run('redis-outage');
      expect(r.load.statuses['503'] ?? 0).toBeGreaterThan(0);
    },
    TIMEOUT,
  );

  /**
   * A lost answer from Redis (docs/chaos.md): a proxy between Klaxon and Redis cuts the
   * connection right after Redis ran a command, before its answer came back, as a Redis shutdown
   * does to the commands of its last round. ioredis then sends the unanswered command again on the
   * new connection (autoResendUnfulfilledCommands, its default). A shard commit sent again finds
   * its job's done marker inside the commit script and changes nothing; an enqueue sent again
   * finds the job with the batch's id and adds nothing.
   */
  describe('lost-reply', () => {
    let r: ScenarioResult;
    beforeAll(async () => {
      r = await runScenario('lost-reply', QUICK_OPTIONS);
    }, TIMEOUT);

    it('cuts a connection right after a shard commit and after an enqueue; everything else holds', () => {
      expect(r.events.filter((e) => e.what.startsWith('connection cut')).length).toBe(
        2 * (QUICK_OPTIONS.cuts as number),
      );
      expectRecovered(r);
    });

    it('loses nothing when the answer to a shard commit is lost', () => {
      expect(r.tally.lost, oneLine(r)).toBe(0);
    });

    it('tells no input twice under two ids when the answer to an enqueue is lost', () => {
      expect(r.tally.otherIdBug, oneLine(r)).toBe(0);
    });
  });
});
