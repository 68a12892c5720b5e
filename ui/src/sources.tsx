/** #/sources: one card per bot, how fresh its data is, what fires, and a chart of one series. */

import { useState } from 'preact/hooks';
import { get, seg } from './api';
import { LineChart } from './chart';
import { usePoll } from './poll';
import { hashOf } from './route';
import type { Series, SourceInfo } from './types';
import { Ago, Fact, Field, Freshness, Options } from './widgets';

const POLL_MS = 10_000;
/** Points are one a minute: reloading the chart more often shows nothing new. */
const CHART_POLL_MS = 60_000;
const CHART_HOURS = 6;
/** A heartbeat older than these is late (amber), then missing (red). */
const HEARTBEAT_WARN_MS = 2 * 60_000;
const HEARTBEAT_BAD_MS = 5 * 60_000;

/** The server lists them by name. */
const loadSources = () => get<{ sources: SourceInfo[] }>('/v1/sources').then((r) => r.sources);

export function SourcesPage() {
  const poll = usePoll(loadSources, POLL_MS);
  return (
    <>
      <div class="page-head">
        <h1>Sources</h1>
        <Freshness poll={poll} />
      </div>
      {poll.data?.length === 0 && <p class="empty">No bot has sent anything yet.</p>}
      <div class="cards">
        {poll.data?.map((s) => (
          <SourceCard key={s.source} info={s} />
        ))}
      </div>
    </>
  );
}

function heartbeatTone(t: number | undefined): string {
  if (t === undefined) return '';
  const late = Date.now() - t;
  return late > HEARTBEAT_BAD_MS ? 'tone-bad' : late > HEARTBEAT_WARN_MS ? 'tone-warn' : '';
}

function SourceCard({ info: s }: { info: SourceInfo }) {
  const metrics = [...s.series, 'heartbeats'];
  const [metric, setMetric] = useState(metrics[0]!);
  return (
    <section class="card source" data-source={s.source}>
      <div class="source-head">
        <h2>{s.source}</h2>
        <a
          class={`firing-count${s.firing > 0 ? ' has-firing' : ''}`}
          href={hashOf('/alerts', { source: s.source })}
        >
          {s.firing} firing
        </a>
      </div>
      <dl class="facts facts-3">
        <Fact name="Last input">
          <Ago t={s.lastInputAt} />
        </Fact>
        <Fact name="Last heartbeat" class={`heartbeat ${heartbeatTone(s.lastHeartbeatAt)}`}>
          <Ago t={s.lastHeartbeatAt} />
        </Fact>
        <Fact name="Last snapshot">
          <Ago t={s.lastSnapshotAt} />
        </Fact>
      </dl>
      <Field label="Chart">
        <select value={metric} onChange={(e) => setMetric(e.currentTarget.value)}>
          <Options values={metrics} />
        </select>
      </Field>
      <SeriesChart key={metric} source={s.source} metric={metric} />
    </section>
  );
}

function SeriesChart({ source, metric }: { source: string; metric: string }) {
  const poll = usePoll(
    () =>
      get<Series>(
        `/v1/sources/${seg(source)}/series?metric=${encodeURIComponent(metric)}&hours=${CHART_HOURS}`,
      ),
    CHART_POLL_MS,
  );
  if (poll.data === undefined)
    return poll.error ? (
      <p class="chart-empty" role="alert">
        Chart not loaded: {poll.error.message}
      </p>
    ) : (
      <div class="chart-placeholder" />
    );
  return <LineChart points={poll.data.points} hours={CHART_HOURS} label={metric} />;
}
