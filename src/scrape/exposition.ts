/**
 * A strict parser of the Prometheus text exposition format (version 0.0.4), what the bots'
 * `/metrics` endpoints serve (prometheus_client, prom-client). Pure: text in, metric families
 * out, or an ExpositionError naming the line and what is wrong with it.
 *
 * Why our own: the one npm parser of this format (`parse-prometheus-text-format`, 1.1.1, not
 * released since 2019, no types) merges the series of a labelled histogram or summary into one
 * and drops their `_sum`/`_count`, and takes any string as a value. The format is small; see
 * https://prometheus.io/docs/instrumenting/exposition_formats/.
 *
 * What it checks, as Prometheus's own text parser does: metric and label names, label value
 * escapes (`\\`, `\"`, `\n`), values (floats, `NaN`, `+Inf`, `-Inf`), optional integer
 * timestamps, one TYPE and one HELP per family and a TYPE before its samples, a label given
 * twice, the same series twice, `le` on histogram buckets and `quantile` on summary samples.
 * Comments other than HELP and TYPE are skipped (`# EOF` and `# UNIT` of OpenMetrics too);
 * `unknown` (OpenMetrics' word) is read as `untyped`.
 */

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Sample {
  /** The sample's own name (`x_bucket`, `x_sum`, `x_count` for a histogram `x`). */
  name: string;
  labels: Record<string, string>;
  value: number;
  /** The exposition's own timestamp (ms), if it gave one. */
  timestampMs?: number;
}

export interface MetricFamily {
  name: string;
  type: MetricType;
  help?: string;
  samples: Sample[];
}

export class ExpositionError extends Error {
  override readonly name = 'ExpositionError';
  constructor(
    readonly line: number,
    readonly reason: string,
  ) {
    super(`line ${line}: ${reason}`);
  }
}

const METRIC_NAME_RE = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME_RE = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const FLOAT_RE = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;
const INT_RE = /^-?\d+$/;
const TYPES: Record<string, MetricType> = {
  counter: 'counter',
  gauge: 'gauge',
  histogram: 'histogram',
  summary: 'summary',
  untyped: 'untyped',
  unknown: 'untyped',
};

export function isMetricName(s: string): boolean {
  return METRIC_NAME_RE.test(s);
}

/** A sample value as the format writes it: a float, `NaN`, `+Inf`/`-Inf` (any case). */
export function parseValue(token: string): number | undefined {
  if (FLOAT_RE.test(token)) return Number(token);
  const t = token.toLowerCase();
  if (t === 'nan') return NaN;
  if (t === '+inf' || t === 'inf' || t === '+infinity' || t === 'infinity') return Infinity;
  if (t === '-inf' || t === '-infinity') return -Infinity;
  return undefined;
}

interface FamilyState extends MetricFamily {
  typed: boolean;
  helped: boolean;
}

/** Parses a whole exposition. Throws ExpositionError at the first line that breaks the format. */
export function parseExposition(text: string): MetricFamily[] {
  const families = new Map<string, FamilyState>();
  const series = new Set<string>();
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i] as string;
    if (line.endsWith('\r')) line = line.slice(0, -1);
    const n = i + 1;
    const start = skipBlanks(line, 0);
    if (start === line.length) continue;
    if (line[start] === '#') {
      metaLine(line, start + 1, n, families);
      continue;
    }
    const sample = sampleLine(line, start, n);
    const family = familyOf(sample, families, n);
    const id = `${sample.name}\u0000${labelsId(sample.labels)}`;
    if (series.has(id)) throw new ExpositionError(n, `the series ${describe(sample)} is given twice`);
    series.add(id);
    family.samples.push(sample);
  }
  return [...families.values()].map(({ name, type, help, samples }) =>
    help === undefined ? { name, type, samples } : { name, type, help, samples },
  );
}

function describe(s: Sample): string {
  const labels = Object.entries(s.labels)
    .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
    .join(',');
  return labels ? `${s.name}{${labels}}` : s.name;
}

function labelsId(labels: Record<string, string>): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}\u0001${labels[k]}`)
    .join('\u0000');
}

function newFamily(name: string): FamilyState {
  return { name, type: 'untyped', samples: [], typed: false, helped: false };
}

/** `# HELP name text`, `# TYPE name type`, or any other comment (skipped). */
function metaLine(line: string, from: number, n: number, families: Map<string, FamilyState>): void {
  let pos = skipBlanks(line, from);
  const [keyword, afterKeyword] = token(line, pos);
  if (keyword !== 'HELP' && keyword !== 'TYPE') return;
  pos = skipBlanks(line, afterKeyword);
  const [name, afterName] = token(line, pos);
  if (!METRIC_NAME_RE.test(name))
    throw new ExpositionError(n, `${keyword} names ${JSON.stringify(name)}, which is not a metric name`);
  let family = families.get(name);
  if (!family) {
    family = newFamily(name);
    families.set(name, family);
  }
  if (keyword === 'HELP') {
    if (family.helped) throw new ExpositionError(n, `a second HELP line for ${name}`);
    family.helped = true;
    // One blank separates the name from the text; the text is the rest of the line.
    const textStart = afterName < line.length ? afterName + 1 : afterName;
    family.help = unescapeHelp(line.slice(textStart), n);
    return;
  }
  if (family.typed) throw new ExpositionError(n, `a second TYPE line for ${name}`);
  if (family.samples.length > 0)
    throw new ExpositionError(n, `the TYPE line of ${name} comes after its samples`);
  pos = skipBlanks(line, afterName);
  const [word, afterWord] = token(line, pos);
  const type = TYPES[word.toLowerCase()];
  if (type === undefined)
    throw new ExpositionError(
      n,
      `unknown type ${JSON.stringify(word)} for ${name}; one of counter, gauge, histogram, summary, untyped`,
    );
  if (skipBlanks(line, afterWord) !== line.length)
    throw new ExpositionError(n, `unexpected text after the TYPE of ${name}`);
  family.type = type;
  family.typed = true;
}

function unescapeHelp(s: string, n: number): string {
  if (!s.includes('\\')) return s;
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i] as string;
    if (c !== '\\') {
      out += c;
      continue;
    }
    const next = s[++i];
    if (next === '\\') out += '\\';
    else if (next === 'n') out += '\n';
    else throw new ExpositionError(n, `invalid escape ${JSON.stringify(`\\${next ?? ''}`)} in a HELP text`);
  }
  return out;
}

/** `name{labels} value [timestamp]`. */
function sampleLine(line: string, from: number, n: number): Sample {
  let pos = from;
  while (pos < line.length && !isBlank(line[pos] as string) && line[pos] !== '{') pos++;
  const name = line.slice(from, pos);
  if (!METRIC_NAME_RE.test(name))
    throw new ExpositionError(n, `${JSON.stringify(name.slice(0, 80))} is not a metric name`);
  const labels: Record<string, string> = {};
  if (line[pos] === '{') pos = labelSet(line, pos + 1, n, labels);
  else if (pos === line.length) throw new ExpositionError(n, `${name} has no value`);
  pos = skipBlanks(line, pos);
  const [valueToken, afterValue] = token(line, pos);
  if (valueToken === '') throw new ExpositionError(n, `${name} has no value`);
  const value = parseValue(valueToken);
  if (value === undefined)
    throw new ExpositionError(n, `${JSON.stringify(valueToken.slice(0, 40))} is not a sample value`);
  const sample: Sample = { name, labels, value };
  pos = skipBlanks(line, afterValue);
  if (pos < line.length) {
    const [ts, afterTs] = token(line, pos);
    if (!INT_RE.test(ts) || !Number.isSafeInteger(Number(ts)))
      throw new ExpositionError(n, `${JSON.stringify(ts.slice(0, 40))} is not a timestamp (integer ms)`);
    sample.timestampMs = Number(ts);
    if (skipBlanks(line, afterTs) !== line.length)
      throw new ExpositionError(n, `unexpected text after the timestamp of ${name}`);
  }
  return sample;
}

/** Reads labels after `{` up to and including `}`; returns the position after `}`. */
function labelSet(line: string, from: number, n: number, labels: Record<string, string>): number {
  let pos = skipBlanks(line, from);
  for (;;) {
    if (line[pos] === '}') return pos + 1;
    const nameStart = pos;
    while (pos < line.length && /[a-zA-Z0-9_]/.test(line[pos] as string)) pos++;
    const name = line.slice(nameStart, pos);
    if (!LABEL_NAME_RE.test(name))
      throw new ExpositionError(
        n,
        pos >= line.length ? 'the label set is not closed' : `invalid label name at column ${nameStart + 1}`,
      );
    pos = skipBlanks(line, pos);
    if (line[pos] !== '=') throw new ExpositionError(n, `expected = after the label name ${name}`);
    pos = skipBlanks(line, pos + 1);
    if (line[pos] !== '"') throw new ExpositionError(n, `expected " to open the value of label ${name}`);
    pos++;
    let value = '';
    for (;;) {
      if (pos >= line.length) throw new ExpositionError(n, `the value of label ${name} is not closed`);
      const c = line[pos] as string;
      if (c === '"') break;
      if (c === '\\') {
        const next = line[pos + 1];
        if (next === '\\') value += '\\';
        else if (next === '"') value += '"';
        else if (next === 'n') value += '\n';
        else
          throw new ExpositionError(
            n,
            `invalid escape ${JSON.stringify(`\\${next ?? ''}`)} in the value of label ${name}`,
          );
        pos += 2;
        continue;
      }
      value += c;
      pos++;
    }
    pos++;
    if (Object.hasOwn(labels, name)) throw new ExpositionError(n, `label ${name} is given twice`);
    labels[name] = value;
    pos = skipBlanks(line, pos);
    if (line[pos] === ',') pos = skipBlanks(line, pos + 1);
    else if (line[pos] !== '}')
      throw new ExpositionError(n, pos >= line.length ? 'the label set is not closed' : 'expected , or }');
  }
}

/** The family a sample belongs to: its own name, or the histogram/summary its suffix names. */
function familyOf(sample: Sample, families: Map<string, FamilyState>, n: number): FamilyState {
  const { name } = sample;
  const own = families.get(name);
  if (own?.typed || own?.samples.length) return checkShape(own, sample, n);
  for (const suffix of ['_bucket', '_sum', '_count'] as const) {
    if (!name.endsWith(suffix)) continue;
    const base = families.get(name.slice(0, -suffix.length));
    if (base?.type === 'histogram' || (base?.type === 'summary' && suffix !== '_bucket'))
      return checkShape(base, sample, n);
  }
  if (own) return checkShape(own, sample, n);
  const family = newFamily(name);
  families.set(name, family);
  return family;
}

function checkShape(family: FamilyState, sample: Sample, n: number): FamilyState {
  const suffix = sample.name.slice(family.name.length);
  if (family.type === 'histogram') {
    if (suffix === '_bucket') {
      const le = sample.labels.le;
      if (le === undefined)
        throw new ExpositionError(n, `histogram bucket ${describe(sample)} has no le label`);
      if (parseValue(le) === undefined || Number.isNaN(parseValue(le)))
        throw new ExpositionError(n, `histogram bucket ${describe(sample)}: le is not a number`);
    } else if (suffix !== '_sum' && suffix !== '_count')
      throw new ExpositionError(
        n,
        `${sample.name} of histogram ${family.name} is not a _bucket, _sum or _count`,
      );
  } else if (family.type === 'summary' && suffix === '') {
    const q = sample.labels.quantile;
    if (q === undefined)
      throw new ExpositionError(n, `summary sample ${describe(sample)} has no quantile label`);
    if (parseValue(q) === undefined)
      throw new ExpositionError(n, `summary ${describe(sample)}: quantile is not a number`);
  }
  return family;
}

function isBlank(c: string): boolean {
  return c === ' ' || c === '\t';
}

function skipBlanks(line: string, from: number): number {
  let pos = from;
  while (pos < line.length && isBlank(line[pos] as string)) pos++;
  return pos;
}

/** The run of non-blank characters at `from`, and the position after it. */
function token(line: string, from: number): [string, number] {
  let pos = from;
  while (pos < line.length && !isBlank(line[pos] as string)) pos++;
  return [line.slice(from, pos), pos];
}
