import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ExpositionError,
  parseExposition,
  type MetricFamily,
  type Sample,
} from '../../src/scrape/exposition.js';

const fixture = (name: string) =>
  readFileSync(new URL(`../fixtures/scrape/${name}`, import.meta.url), 'utf8');

/** Writes families in the text format, as a client library does (the inverse of the parser). */
function render(families: readonly MetricFamily[]): string {
  const esc = (v: string) => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  const num = (v: number) =>
    Number.isNaN(v) ? 'NaN' : v === Infinity ? '+Inf' : v === -Infinity ? '-Inf' : String(v);
  const lines: string[] = [];
  for (const f of families) {
    if (f.help !== undefined)
      lines.push(`# HELP ${f.name} ${f.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`);
    lines.push(`# TYPE ${f.name} ${f.type}`);
    for (const s of f.samples) {
      const labels = Object.entries(s.labels).map(([k, v]) => `${k}="${esc(v)}"`);
      const ts = s.timestampMs === undefined ? '' : ` ${s.timestampMs}`;
      lines.push(`${s.name}${labels.length ? `{${labels.join(',')}}` : ''} ${num(s.value)}${ts}`);
    }
  }
  return lines.join('\n') + '\n';
}

describe('parseExposition', () => {
  it('reads HELP, TYPE, labels with escapes, NaN/±Inf, timestamps and blank or comment lines', () => {
    const text = [
      '# A free comment',
      '# HELP http_requests_total The total number of HTTP requests.\\nSecond line \\\\ done',
      '# TYPE http_requests_total counter',
      'http_requests_total{method="post",code="200"} 1027 1395066363000',
      'http_requests_total{ method = "post" , code="400", } 3   1395066363000',
      '',
      'msdos_file_access_time_seconds{path="C:\\\\DIR\\\\FILE.TXT",error="Cannot find file:\\n\\"FILE.TXT\\""} 1.458255915e9',
      'metric_without_timestamp_and_labels 12.47',
      'something_weird{problem="division by zero"} +Inf -3982045',
      '\tnan_value NaN',
      'neg_inf -Inf\r',
    ].join('\n');
    const fams = parseExposition(text);
    expect(fams.map((f) => [f.name, f.type])).toEqual([
      ['http_requests_total', 'counter'],
      ['msdos_file_access_time_seconds', 'untyped'],
      ['metric_without_timestamp_and_labels', 'untyped'],
      ['something_weird', 'untyped'],
      ['nan_value', 'untyped'],
      ['neg_inf', 'untyped'],
    ]);
    expect(fams[0]?.help).toBe('The total number of HTTP requests.\nSecond line \\ done');
    expect(fams[0]?.samples).toEqual([
      {
        name: 'http_requests_total',
        labels: { method: 'post', code: '200' },
        value: 1027,
        timestampMs: 1395066363000,
      },
      {
        name: 'http_requests_total',
        labels: { method: 'post', code: '400' },
        value: 3,
        timestampMs: 1395066363000,
      },
    ]);
    expect(fams[1]?.samples[0]?.labels).toEqual({
      path: 'C:\\DIR\\FILE.TXT',
      error: 'Cannot find file:\n"FILE.TXT"',
    });
    expect(fams[3]?.samples[0]).toEqual({
      name: 'something_weird',
      labels: { problem: 'division by zero' },
      value: Infinity,
      timestampMs: -3982045,
    });
    expect(fams[4]?.samples[0]?.value).toBeNaN();
    expect(fams[5]?.samples[0]?.value).toBe(-Infinity);
  });

  it('keeps every series of a labelled histogram apart, with its _sum and _count', () => {
    const text = [
      '# TYPE lat histogram',
      'lat_bucket{op="submit",le="0.1"} 1',
      'lat_bucket{op="submit",le="+Inf"} 2',
      'lat_sum{op="submit"} 0.3',
      'lat_count{op="submit"} 2',
      'lat_bucket{op="cancel",le="0.1"} 5',
      'lat_bucket{op="cancel",le="+Inf"} 9',
      'lat_sum{op="cancel"} 4',
      'lat_count{op="cancel"} 9',
    ].join('\n');
    const [lat] = parseExposition(text);
    expect(lat?.type).toBe('histogram');
    expect(lat?.samples).toHaveLength(8);
    expect(lat?.samples.filter((s) => s.labels.op === 'cancel').map((s) => [s.name, s.value])).toEqual([
      ['lat_bucket', 5],
      ['lat_bucket', 9],
      ['lat_sum', 4],
      ['lat_count', 9],
    ]);
  });

  it('reads summaries: quantile samples, _sum and _count in one family', () => {
    const text = [
      '# HELP rpc_duration_seconds A summary of the RPC duration in seconds.',
      '# TYPE rpc_duration_seconds summary',
      'rpc_duration_seconds{quantile="0.01"} 3102',
      'rpc_duration_seconds{quantile="0.5"} 4773',
      'rpc_duration_seconds{quantile="0.99"} 76656',
      'rpc_duration_seconds_sum 1.7560473e+07',
      'rpc_duration_seconds_count 2693',
    ].join('\n');
    const fams = parseExposition(text);
    expect(fams).toHaveLength(1);
    expect(fams[0]?.samples.map((s) => s.name)).toEqual([
      'rpc_duration_seconds',
      'rpc_duration_seconds',
      'rpc_duration_seconds',
      'rpc_duration_seconds_sum',
      'rpc_duration_seconds_count',
    ]);
  });

  it('parses the recorded expositions of the bots', () => {
    const names = (f: string) => parseExposition(fixture(f)).map((x) => `${x.name}:${x.type}`);
    expect(names('coinbase_trader.prom')).toContain('coinbase_trader_websocket_reconnects_total:counter');
    expect(names('perps_bot.prom')).toContain('perps_bot_market_data_staleness_seconds:gauge');
    expect(names('gpt_trader.prom')).toContain('gpt_trader_broker_call_latency_seconds:histogram');
    const tb = parseExposition(fixture('trading_bot.prom'));
    expect(tb.find((f) => f.name === 'trading_bot_api_request_duration_seconds')?.samples).toHaveLength(10);
    expect(tb.find((f) => f.name === 'trading_bot_api_request_duration_seconds_created')?.type).toBe('gauge');
  });

  it.each([
    ['bad{x="1} 2', 1, 'not closed'],
    ['bad{x="\\t"} 2', 1, 'invalid escape'],
    ['bad{x="1",x="2"} 2', 1, 'given twice'],
    ['bad{1x="1"} 2', 1, 'invalid label name'],
    ['bad{x 1} 2', 1, 'expected ='],
    ['bad{x=1} 2', 1, 'expected "'],
    ['bad 12abc', 1, 'not a sample value'],
    ['bad', 1, 'has no value'],
    ['bad 1 1.5', 1, 'not a timestamp'],
    ['bad 1 2 3', 1, 'unexpected text'],
    ['0bad 1', 1, 'not a metric name'],
    ['ok 1\nok 2', 2, 'given twice'],
    ['ok 1\n# TYPE ok gauge', 2, 'after its samples'],
    ['# TYPE ok gauge\n# TYPE ok counter', 2, 'second TYPE'],
    ['# HELP ok a\n# HELP ok b', 2, 'second HELP'],
    ['# TYPE ok gauges', 1, 'unknown type'],
    ['# HELP ok bad \\x escape', 1, 'invalid escape'],
    ['# TYPE h histogram\nh_bucket 1', 2, 'no le label'],
    ['# TYPE h histogram\nh_bucket{le="x"} 1', 2, 'le is not a number'],
    ['# TYPE h histogram\nh 1', 2, 'not a _bucket'],
    ['# TYPE s summary\ns 1', 2, 'no quantile label'],
  ])('refuses %j at line %i (%s)', (text, line, words) => {
    let err: unknown;
    try {
      parseExposition(text);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ExpositionError);
    expect((err as ExpositionError).line).toBe(line);
    expect((err as ExpositionError).message).toContain(words);
  });

  it('reads `unknown` (OpenMetrics) as untyped and skips # EOF and # UNIT', () => {
    const fams = parseExposition('# TYPE x unknown\n# UNIT x seconds\nx 1\n# EOF\n');
    expect(fams).toEqual([{ name: 'x', type: 'untyped', samples: [{ name: 'x', labels: {}, value: 1 }] }]);
  });

  // ---------------------------------------------------------------------------------------------
  // Properties

  const metricName = fc.stringMatching(/^[a-zA-Z_:][a-zA-Z0-9_:]{0,15}$/);
  const labelName = fc
    .stringMatching(/^[a-zA-Z_][a-zA-Z0-9_]{0,8}$/)
    .filter((n) => n !== 'le' && n !== 'quantile');
  // Any text, line breaks, quotes and backslashes included.
  const labelValue = fc.string({ unit: 'binary', maxLength: 12 });
  const labels = fc.dictionary(labelName, labelValue, { maxKeys: 4 });
  const value = fc.oneof(
    fc.double().filter((v) => !Object.is(v, -0)),
    fc.integer().map((v) => (v === 0 ? 0 : v)),
    fc.constantFrom(NaN, Infinity, -Infinity),
  );
  const timestamp = fc.option(fc.integer({ min: -1e12, max: 1e13 }), { nil: undefined });
  const help = fc.option(
    fc.string({ unit: 'binary', maxLength: 20 }).filter((h) => !h.includes('\r')),
    { nil: undefined },
  );

  /** Families with distinct names (none another's name plus a histogram suffix) and distinct series. */
  const families = fc
    .uniqueArray(
      fc.record({
        name: metricName,
        type: fc.constantFrom('counter', 'gauge', 'untyped' as const),
        help,
        samples: fc.uniqueArray(fc.record({ labels, value, timestampMs: timestamp }), {
          maxLength: 4,
          selector: (s) => JSON.stringify(Object.entries(s.labels).sort()),
        }),
      }),
      { selector: (f) => f.name, maxLength: 5 },
    )
    .filter(
      (fs) =>
        !fs.some((a) =>
          fs.some(
            (b) =>
              a !== b &&
              /^(_bucket|_sum|_count)$/.test(a.name.slice(b.name.length)) &&
              a.name.startsWith(b.name),
          ),
        ),
    )
    .map((fs) =>
      fs.map((f): MetricFamily => {
        const out: MetricFamily = {
          name: f.name,
          type: f.type,
          samples: f.samples.map((s) => {
            const sample: Sample = { name: f.name, labels: s.labels, value: s.value };
            if (s.timestampMs !== undefined) sample.timestampMs = s.timestampMs;
            return sample;
          }),
        };
        if (f.help !== undefined) out.help = f.help;
        return out;
      }),
    );

  it('property: what a client writes reads back the same (names, labels with any text, values, help)', () => {
    fc.assert(
      fc.property(families, (fs) => {
        expect(parseExposition(render(fs))).toEqual(fs);
      }),
      { numRuns: 300 },
    );
  });

  it('property: a histogram with any labels and buckets reads back as one family, every series kept', () => {
    const histogram = fc.record({
      series: fc.uniqueArray(labels, {
        minLength: 1,
        maxLength: 3,
        selector: (l) => JSON.stringify(Object.entries(l).sort()),
      }),
      bounds: fc.uniqueArray(fc.double({ min: 0.001, max: 100, noNaN: true }), {
        minLength: 1,
        maxLength: 5,
      }),
      counts: fc.array(fc.nat(1000), { minLength: 6, maxLength: 6 }),
    });
    fc.assert(
      fc.property(histogram, ({ series, bounds, counts }) => {
        const les = [...bounds.sort((a, b) => a - b), Infinity];
        const samples: Sample[] = [];
        for (const l of series) {
          let c = 0;
          les.forEach((le, i) => {
            c += counts[i] ?? 0;
            samples.push({
              name: 'h_bucket',
              labels: { ...l, le: le === Infinity ? '+Inf' : String(le) },
              value: c,
            });
          });
          samples.push({ name: 'h_sum', labels: l, value: 1.5 }, { name: 'h_count', labels: l, value: c });
        }
        const fam: MetricFamily = { name: 'h', type: 'histogram', samples };
        expect(parseExposition(render([fam]))).toEqual([fam]);
      }),
      { numRuns: 200 },
    );
  });

  it('property: any text either parses or throws an ExpositionError, nothing else', () => {
    const fragment = fc.constantFrom(
      '# HELP ',
      '# TYPE ',
      'x',
      'x_bucket',
      '{',
      '}',
      '="',
      '"',
      '\\',
      ',',
      ' ',
      '\n',
      '1',
      'NaN',
      '+Inf',
      'histogram',
      'le',
      'quantile',
      'summary',
      'gauge',
    );
    const text = fc.oneof(
      fc.array(fragment, { maxLength: 40 }).map((a) => a.join('')),
      fc.string({ unit: 'binary' }),
    );
    fc.assert(
      fc.property(text, (t) => {
        try {
          parseExposition(t);
        } catch (err) {
          expect(err).toBeInstanceOf(ExpositionError);
        }
      }),
      { numRuns: 2000 },
    );
  });
});
