/**
 * What bots push, as it arrives over HTTP: zod schemas for the raw shapes and normalisers that
 * turn them into the model (`Snapshot`, `BotEvent`, `AlertSignal`). Every error names the field
 * by a JSON path relative to the request body (`[3].metrics.api_latency_ms`, `labels.symbol`).
 *
 * Timestamps (`ts`): an ISO 8601 string (no offset means UTC), or epoch seconds (< 1e11, e.g.
 * Python's `time.time()`), or epoch milliseconds (>= 1e11); absent means the receive time.
 *
 * The alert field schemas here (`alertNameSchema`, `labelsSchema`, `sourceSchema`,
 * `alertTitleSchema`, `alertMessageSchema`, `annotationsSchema`) are the one set of limits for
 * alerts: `POST /v1/alerts` and `POST /v1/alertmanager` (src/ingest/alertmanager.ts) both use them.
 */
import { z } from 'zod';
import type { BotEvent, Snapshot } from './batch.js';
import { formatDuration } from './time-text.js';
import { SEVERITIES, parseSeverity, type Severity } from './severity.js';
import type { AlertSignal } from './signal.js';

/** One bad field: where (a JSON path into the body, `''` for the body itself) and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

export type NormaliseResult<T> = { ok: true; value: T } | { ok: false; errors: FieldError[] };

export interface NormaliseContext {
  /** Receive time (ms), the `ts` of items that carry none; also "now" for `maxFutureSkew`. */
  receivedAt: number;
  /** Used when an item has no `source` (the pushing token's only source). */
  defaultSource?: string;
  /**
   * Refuse a `ts` more than this many ms after `receivedAt` (`server.max_future_skew`).
   * Undefined: no bound (replays of recorded files).
   */
  maxFutureSkew?: number;
}

// ---------------------------------------------------------------------------------------------
// Limits and field schemas

export const LIMITS = {
  /** Sources, metric names, event types, alert names, label and annotation names. */
  name: 128,
  labelValue: 1024,
  labels: 64,
  /** Annotations of an Alertmanager alert (direct alerts have only title and message). */
  annotations: 64,
  metricsPerSnapshot: 1000,
  /** Direct alert `title`, Alertmanager `summary`. */
  title: 1024,
  /** Direct alert `message`; every Alertmanager annotation value (`description`...) and URL. */
  message: 32 * 1024,
  symbol: 64,
  dataKeys: 256,
  inputId: 128,
} as const;

/** Sources: letters, digits and `_ . : @ / -`, starting with a letter or digit. */
export const SOURCE_RE = /^[A-Za-z0-9][A-Za-z0-9_.:@/-]*$/;
/** Metric names, event types, alert names and label names. */
export const NAME_RE = /^[A-Za-z_][A-Za-z0-9_.:-]*$/;
/** Label names (Prometheus style plus `.` and `-`). */
export const LABEL_NAME_RE = /^[A-Za-z_][A-Za-z0-9_.-]*$/;
/**
 * Alert names and the labels of alerts as Prometheus 3 and Grafana write them: any UTF-8 (a
 * Grafana rule title such as `High CPU usage` is an alertname), but no control characters or
 * line breaks, and no space at either end. Alertmanager does not resend an alert we refuse, so
 * this is as wide as is safe.
 */
export const PRINTABLE_NAME_RE = /^(?!\s)[^\p{Cc}\u2028\u2029]+(?<!\s)$/u;

/** Earliest plausible timestamp (2000-01-01): anything before is a unit or clock mistake. */
const MIN_TS = 946_684_800_000;

function describe(input: unknown): string {
  if (input === undefined) return 'nothing';
  if (input === null) return 'null';
  if (Array.isArray(input)) return 'an array';
  if (typeof input === 'string') {
    const shown = input.length > 40 ? `${input.slice(0, 40)}...` : input;
    return `the string ${JSON.stringify(shown)}`;
  }
  if (typeof input === 'number') return Number.isFinite(input) ? `the number ${input}` : String(input);
  if (typeof input === 'object') return 'an object';
  return `a ${typeof input}`;
}

function required(what: string) {
  return (iss: { input: unknown }) =>
    iss.input === undefined ? 'is required' : `must be ${what}, got ${describe(iss.input)}`;
}

function nameField(what: string, re: RegExp, hint: string) {
  return z
    .string({ error: required('a string') })
    .min(1, { error: `must not be empty` })
    .max(LIMITS.name, { error: `is longer than ${LIMITS.name} characters` })
    .regex(re, { error: (iss) => `${describe(iss.input)} is not a valid ${what} (${hint})` });
}

/** `/` separates parts of a source (`team/bot-1`); no empty, `.` or `..` part (no path tricks). */
export const sourceSchema = nameField('source', SOURCE_RE, 'letters, digits and _ . : @ / -').refine(
  (s) => !SOURCE_RE.test(s) || !s.split('/').some((part) => part === '' || part === '.' || part === '..'),
  {
    error: (iss) => `${describe(iss.input)} is not a valid source (no empty, "." or ".." parts between "/")`,
  },
);
export const metricNameSchema = nameField('metric name', NAME_RE, 'letters, digits and _ . : -');
export const eventTypeSchema = nameField('event type', NAME_RE, 'letters, digits and _ . : -');
export const alertNameSchema = nameField(
  'alert name',
  PRINTABLE_NAME_RE,
  'no control characters or line breaks, no space at either end',
);
export const labelNameSchema = nameField(
  'label name',
  PRINTABLE_NAME_RE,
  'no control characters or line breaks, no space at either end',
);
export const annotationNameSchema = nameField('annotation name', LABEL_NAME_RE, 'letters, digits and _ . -');

/** A finite JSON number: no strings of digits, no NaN, no Infinity. */
export const finiteNumberSchema = z.number({
  error: (iss) => {
    if (iss.input === undefined) return 'is required';
    if (typeof iss.input === 'number') return `must be a finite number, got ${String(iss.input)}`;
    if (typeof iss.input === 'string' && iss.input.trim() !== '' && Number.isFinite(Number(iss.input)))
      return `must be a JSON number, got the string ${JSON.stringify(iss.input)} (send it unquoted)`;
    return `must be a finite number, got ${describe(iss.input)}`;
  },
});

const labelValueSchema = z
  .string({
    error: (iss) =>
      typeof iss.input === 'number' || typeof iss.input === 'boolean'
        ? `label values must be strings, got ${describe(iss.input)} (quote it: "${String(iss.input)}")`
        : `label values must be strings, got ${describe(iss.input)}`,
  })
  .max(LIMITS.labelValue, { error: `is longer than ${LIMITS.labelValue} characters` });

export const labelsSchema = z
  .record(labelNameSchema, labelValueSchema, { error: required('an object of string labels') })
  .refine((l) => Object.keys(l).length <= LIMITS.labels, {
    error: (iss) => `has ${count(iss.input)} labels; the limit is ${LIMITS.labels}`,
  });

function count(input: unknown): number {
  return input !== null && typeof input === 'object' ? Object.keys(input).length : 0;
}

/** A direct alert's `title`, an Alertmanager alert's `summary` (may be empty there). */
export const alertTitleSchema = z
  .string({ error: required('a string') })
  .max(LIMITS.title, { error: `is longer than ${LIMITS.title} characters` });

/** A direct alert's `message`; any Alertmanager annotation value (`description`, ...). */
export const alertMessageSchema = z
  .string({ error: required('a string') })
  .max(LIMITS.message, { error: `is longer than ${LIMITS.message} characters` });

export const annotationsSchema = z
  .record(
    annotationNameSchema,
    z
      .string({ error: (iss) => `annotation values must be strings, got ${describe(iss.input)}` })
      .max(LIMITS.message, { error: `is longer than ${LIMITS.message} characters` }),
    { error: required('an object of string annotations') },
  )
  .refine((a) => Object.keys(a).length <= LIMITS.annotations, {
    error: (iss) => `has ${count(iss.input)} annotations; the limit is ${LIMITS.annotations}`,
  });

const ISO_RE =
  /^(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d+))?)?([Zz]|[+-]\d{2}(?::?\d{2})?)?$/;

/**
 * Parses an ISO 8601 / RFC 3339 date-time to ms since epoch; any fraction precision (ns too) is
 * truncated to ms; no offset means UTC. Undefined when the string is not such a date-time.
 */
export function parseIsoTime(s: string): number | undefined {
  const m = ISO_RE.exec(s.trim());
  if (!m) return undefined;
  const [, y, mo, d, h, mi, se, frac, off] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = se === undefined ? 0 : Number(se);
  if (month < 1 || month > 12 || day < 1 || day > 31 || hour > 23 || minute > 59 || second > 60)
    return undefined;
  const ms = frac === undefined ? 0 : Number(frac.slice(0, 3).padEnd(3, '0'));
  const date = new Date(0);
  date.setUTCFullYear(year, month - 1, day);
  date.setUTCHours(hour, minute, second, ms);
  if (date.getUTCDate() !== day) return undefined; // 31 February and the like
  let offsetMin = 0;
  if (off && off !== 'Z' && off !== 'z') {
    const sign = off.startsWith('-') ? -1 : 1;
    const digits = off.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = digits.length > 2 ? Number(digits.slice(2, 4)) : 0;
    if (oh > 23 || om > 59) return undefined;
    offsetMin = sign * (oh * 60 + om);
  }
  return date.getTime() - offsetMin * 60_000;
}

/**
 * Converts a `ts` as sent (ISO string, epoch seconds or epoch ms) to ms. Returns an error message
 * instead when it is none of those.
 */
export function normaliseTs(input: unknown): { ms: number } | { error: string } {
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return { error: `must be a finite number, got ${String(input)}` };
    if (input >= 1e14)
      return { error: `${input} looks like micro- or nanoseconds; send epoch seconds or milliseconds` };
    const ms = input < 1e11 ? Math.round(input * 1000) : Math.round(input);
    if (ms < MIN_TS)
      return {
        error: `${input} is before the year 2000; send epoch seconds, epoch milliseconds or ISO 8601`,
      };
    return { ms };
  }
  if (typeof input === 'string') {
    const ms = parseIsoTime(input);
    if (ms === undefined)
      return {
        error: `${describe(input)} is not an ISO 8601 date-time (e.g. 2026-11-21T10:08:47.189Z); numbers must not be quoted`,
      };
    if (ms < MIN_TS) return { error: `${describe(input)} is before the year 2000` };
    return { ms };
  }
  return {
    error: `must be an ISO 8601 string or epoch seconds/milliseconds, got ${describe(input)}`,
  };
}

/**
 * Why `ms` is refused as being too far ahead of `ctx.receivedAt` (the server's clock), or
 * undefined when it is fine (or `ctx.maxFutureSkew` is not set). Past times are accepted.
 */
export function futureTsError(ms: number, ctx: NormaliseContext): string | undefined {
  const skew = ctx.maxFutureSkew;
  if (skew === undefined || ms <= ctx.receivedAt + skew) return undefined;
  return `${new Date(ms).toISOString()} is ${formatDuration(ms - ctx.receivedAt)} ahead of the server's clock; at most ${formatDuration(skew)} is allowed (server.max_future_skew)`;
}

export const tsSchema = z.unknown().transform((v, ctx): number | undefined => {
  if (v === undefined) return undefined;
  const r = normaliseTs(v);
  if ('error' in r) {
    ctx.addIssue({ code: 'custom', message: r.error, input: v });
    return z.NEVER;
  }
  return r.ms;
});

const severityWords = SEVERITIES.join(', ');

export const severitySchema = z
  .string({ error: required(`a severity (${severityWords})`) })
  .transform((word, ctx): Severity => {
    const s = parseSeverity(word);
    if (!s) {
      ctx.addIssue({
        code: 'custom',
        message: `unknown severity ${JSON.stringify(word.slice(0, 40))}; use ${severityWords} (or an alias such as error, warn, low, debug)`,
        input: word,
      });
      return z.NEVER;
    }
    return s;
  });

const objectError = required('an object');

// ---------------------------------------------------------------------------------------------
// Raw input schemas

/**
 * A sender's idempotency key for an event or a direct alert: a retry with the same id (from the
 * same source) is accepted and evaluated once.
 */
const inputIdSchema = z
  .string({ error: required('a string') })
  .min(1, { error: 'must not be empty', abort: true })
  .max(LIMITS.inputId, { error: `is longer than ${LIMITS.inputId} characters`, abort: true })
  .regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces (a UUID, a counter...)' });

export const snapshotInputSchema = z.strictObject(
  {
    source: sourceSchema.optional(),
    ts: tsSchema.optional(),
    metrics: z
      .record(metricNameSchema, finiteNumberSchema, { error: required('an object of {name: number}') })
      .refine((m) => Object.keys(m).length <= LIMITS.metricsPerSnapshot, {
        error: `holds more than ${LIMITS.metricsPerSnapshot} metrics; split the snapshot`,
      }),
    labels: labelsSchema
      .refine((l) => !('source' in l), { error: 'must not hold `source`: use the top-level field' })
      .optional(),
  },
  { error: objectError },
);

export const eventInputSchema = z.strictObject(
  {
    source: sourceSchema.optional(),
    ts: tsSchema.optional(),
    type: eventTypeSchema,
    id: inputIdSchema.optional(),
    severity: severitySchema.optional(),
    symbol: z
      .string({ error: required('a string') })
      .min(1, { error: 'must not be empty' })
      .max(LIMITS.symbol, { error: `is longer than ${LIMITS.symbol} characters` })
      .optional(),
    data: z
      .record(z.string(), z.unknown(), { error: required('an object') })
      .refine((d) => Object.keys(d).length <= LIMITS.dataKeys, {
        error: `has more than ${LIMITS.dataKeys} keys`,
      })
      .optional(),
  },
  { error: objectError },
);

export const directAlertInputSchema = z.strictObject(
  {
    name: alertNameSchema,
    id: inputIdSchema.optional(),
    severity: severitySchema,
    title: alertTitleSchema.min(1, { error: 'must not be empty' }),
    message: alertMessageSchema.optional(),
    source: sourceSchema.optional(),
    labels: labelsSchema.optional(),
    force: z.boolean({ error: required('true or false') }).optional(),
    status: z
      .enum(['firing', 'resolved'], {
        error: (iss) => `must be "firing" or "resolved", got ${describe(iss.input)}`,
      })
      .optional(),
    value: finiteNumberSchema.optional(),
    ts: tsSchema.optional(),
  },
  { error: objectError },
);

export type SnapshotInput = z.input<typeof snapshotInputSchema>;

/** A plain JSON object (not an array, not null). */
function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

const SNAPSHOT_FIELDS: ReadonlySet<string> = new Set(['source', 'ts', 'metrics', 'labels']);

/**
 * What snapshotInputSchema gives for `raw` when `raw` plainly passes it, checked field by field
 * with the same rules and limits; undefined for anything else, which the schema then checks and
 * explains. A bot's stream of snapshots is the busiest input, and a valid one needs no more.
 * A property test holds the two to the same answers.
 */
export function plainSnapshot(raw: unknown): z.output<typeof snapshotInputSchema> | undefined {
  if (!isRecord(raw)) return undefined;
  for (const k in raw) if (!SNAPSHOT_FIELDS.has(k)) return undefined;
  const { source, ts, metrics, labels } = raw;
  if (source !== undefined) {
    if (typeof source !== 'string' || source.length > LIMITS.name || !SOURCE_RE.test(source))
      return undefined;
    if (source.includes('/') && source.split('/').some((p) => p === '' || p === '.' || p === '..'))
      return undefined;
  }
  let ms: number | undefined;
  if (ts !== undefined) {
    const r = normaliseTs(ts);
    if ('error' in r) return undefined;
    ms = r.ms;
  }
  if (!isRecord(metrics)) return undefined;
  let n = 0;
  for (const m in metrics) {
    const v = metrics[m];
    if (++n > LIMITS.metricsPerSnapshot || m.length > LIMITS.name || !NAME_RE.test(m)) return undefined;
    if (typeof v !== 'number' || !Number.isFinite(v)) return undefined;
  }
  if (labels !== undefined) {
    if (!isRecord(labels) || 'source' in labels) return undefined;
    let l = 0;
    for (const k in labels) {
      const v = labels[k];
      if (++l > LIMITS.labels || k.length > LIMITS.name || !PRINTABLE_NAME_RE.test(k)) return undefined;
      if (typeof v !== 'string' || v.length > LIMITS.labelValue) return undefined;
    }
  }
  const out: z.output<typeof snapshotInputSchema> = { metrics: metrics as Record<string, number> };
  if (source !== undefined) out.source = source;
  if (ms !== undefined) out.ts = ms;
  if (labels !== undefined) out.labels = labels as Record<string, string>;
  return out;
}
export type EventInput = z.input<typeof eventInputSchema>;
export type DirectAlertInput = z.input<typeof directAlertInputSchema>;

// ---------------------------------------------------------------------------------------------
// Paths and issue formatting

const IDENT_RE = /^[A-Za-z_$][A-Za-z0-9_$]*$/;

/** Longer keys are cut in paths (a 100 KB key must not come back 100 times in one answer). */
const PATH_KEY_MAX = 64;

/**
 * `[3].metrics.api_latency_ms`; keys that are not identifiers are quoted: `labels["a b"]`; keys
 * longer than 64 characters are cut: `labels["aaaa...(100000 characters)"]`.
 */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const seg of path) {
    if (typeof seg === 'number') out += `[${seg}]`;
    else {
      const key = String(seg);
      if (key.length > PATH_KEY_MAX)
        out += `[${JSON.stringify(`${key.slice(0, PATH_KEY_MAX)}...(${key.length} characters)`)}]`;
      else if (IDENT_RE.test(key)) out += out === '' ? key : `.${key}`;
      else out += `[${JSON.stringify(key)}]`;
    }
  }
  return out;
}

type SizeIssue = z.core.$ZodIssueTooBig | z.core.$ZodIssueTooSmall;

/** What a size limit says, in words, when the schema gave no message of its own that names it. */
function sizeMessage(iss: SizeIssue): string {
  const big = iss.code === 'too_big';
  const limit = Number(big ? iss.maximum : iss.minimum);
  const exclusive = iss.inclusive === false;
  switch (iss.origin) {
    case 'string':
      if (!big && limit <= 1 && !exclusive) return 'must not be empty';
      return big
        ? `is longer than ${exclusive ? limit - 1 : limit} characters`
        : `is shorter than ${exclusive ? limit + 1 : limit} characters`;
    case 'array':
    case 'set':
      if (!big && limit <= 1 && !exclusive) return 'must not be empty';
      return big
        ? `has more than ${exclusive ? limit - 1 : limit} items`
        : `has fewer than ${exclusive ? limit + 1 : limit} items`;
    case 'number':
    case 'int':
    case 'bigint':
      return big
        ? `must be ${exclusive ? 'less than' : 'at most'} ${limit}`
        : `must be ${exclusive ? 'greater than' : 'at least'} ${limit}`;
    default:
      return big ? `is larger than the limit of ${limit}` : `is smaller than the minimum of ${limit}`;
  }
}

/**
 * A schema's catch-all message (`z.string({error: 'must be a string'})`) is also what zod says
 * when that schema's `.max()`/`.min()` fails without a message of its own: a 100 KB string would
 * be "not a string". Such a message is replaced by the limit it broke. A size message is kept when
 * it names the limit, or (for a minimum) when it is not a "must be <type>" catch-all.
 */
function sizeIssueMessage(iss: SizeIssue): string {
  const limit = String(iss.code === 'too_big' ? iss.maximum : iss.minimum);
  if (iss.message.includes(limit)) return iss.message;
  if (iss.code === 'too_small' && !/^must be\b/.test(iss.message)) return iss.message;
  return sizeMessage(iss);
}

/** Turns zod issues into field errors, `prefix` being the path of the parsed value in the body. */
export function issuesToErrors(
  issues: readonly z.core.$ZodIssue[],
  prefix: PropertyKey[] = [],
): FieldError[] {
  const out: FieldError[] = [];
  const seen = new Set<string>();
  const push = (e: FieldError) => {
    const k = `${e.path}\u0000${e.message}`;
    if (seen.has(k)) return;
    seen.add(k);
    out.push(e);
  };
  for (const iss of issues) {
    const path = [...prefix, ...iss.path];
    if (iss.code === 'unrecognized_keys') {
      for (const key of iss.keys) push({ path: formatPath([...path, key]), message: 'unknown field' });
    } else if (iss.code === 'invalid_key') {
      for (const e of issuesToErrors(iss.issues.slice(0, 1), path))
        push({ path: e.path, message: e.message || 'is not a valid name' });
      if (iss.issues.length === 0) push({ path: formatPath(path), message: 'is not a valid name' });
    } else if (iss.code === 'invalid_union' && iss.errors.length > 0) {
      for (const e of issuesToErrors(iss.errors[0] ?? [], path)) push(e);
    } else if (iss.code === 'too_big' || iss.code === 'too_small') {
      push({ path: formatPath(path), message: sizeIssueMessage(iss) });
    } else {
      push({ path: formatPath(path), message: iss.message });
    }
  }
  return out;
}

/** "Body" as the path users read when the error is about the whole body. */
export function summariseErrors(errors: readonly FieldError[], max = 3): string {
  const shown = errors.slice(0, max).map((e) => `${e.path || '(body)'}: ${e.message}`);
  const more = errors.length > max ? ` (and ${errors.length - max} more)` : '';
  return `${errors.length} invalid field${errors.length === 1 ? '' : 's'}: ${shown.join('; ')}${more}`;
}

/** The items of a body that may be one object or an array of them, with their path prefixes. */
export function bodyItems(body: unknown): { items: unknown[]; array: boolean } | { error: FieldError } {
  if (Array.isArray(body)) {
    if (body.length === 0) return { error: { path: '', message: 'the batch is empty' } };
    return { items: body, array: true };
  }
  if (body !== null && typeof body === 'object') return { items: [body], array: false };
  return {
    error: {
      path: '',
      message: `the body must be a JSON object or an array of objects, got ${describe(body)}`,
    },
  };
}

function normaliseEach<S extends z.ZodType, T>(
  body: unknown,
  schema: S,
  build: (item: z.output<S>, prefix: PropertyKey[], errors: FieldError[]) => T | undefined,
  /** What the schema gives for an item that plainly passes it, without it (else undefined). */
  plain?: (raw: unknown) => z.output<S> | undefined,
): NormaliseResult<T[]> {
  const b = bodyItems(body);
  if ('error' in b) return { ok: false, errors: [b.error] };
  const errors: FieldError[] = [];
  const out: T[] = [];
  b.items.forEach((raw, i) => {
    const prefix: PropertyKey[] = b.array ? [i] : [];
    let data = plain?.(raw);
    if (data === undefined) {
      const r = schema.safeParse(raw);
      if (!r.success) {
        errors.push(...issuesToErrors(r.error.issues, prefix));
        return;
      }
      data = r.data;
    }
    const v = build(data, prefix, errors);
    if (v !== undefined) out.push(v);
  });
  return errors.length > 0 ? { ok: false, errors } : { ok: true, value: out };
}

/** The item's time: its own `ts` if it is not too far ahead of the server's clock, else the receive time. */
function itemTs(
  ts: number | undefined,
  ctx: NormaliseContext,
  prefix: PropertyKey[],
  errors: FieldError[],
): number | undefined {
  if (ts === undefined) return ctx.receivedAt;
  const err = futureTsError(ts, ctx);
  if (err === undefined) return ts;
  errors.push({ path: formatPath([...prefix, 'ts']), message: err });
  return undefined;
}

function resolveSource(
  source: string | undefined,
  ctx: NormaliseContext,
  prefix: PropertyKey[],
  errors: FieldError[],
): string | undefined {
  const s = source ?? ctx.defaultSource;
  if (s === undefined)
    errors.push({
      path: formatPath([...prefix, 'source']),
      message: 'is required (the token may push several sources, so name one)',
    });
  return s;
}

// ---------------------------------------------------------------------------------------------
// Normalisers

/** One snapshot or an array of them -> Snapshots (ts in ms, labels always present). */
export function normaliseSnapshots(body: unknown, ctx: NormaliseContext): NormaliseResult<Snapshot[]> {
  return normaliseEach(
    body,
    snapshotInputSchema,
    (v, prefix, errors) => {
      const source = resolveSource(v.source, ctx, prefix, errors);
      const ts = itemTs(v.ts, ctx, prefix, errors);
      if (source === undefined || ts === undefined) return undefined;
      return { source, ts, metrics: v.metrics, labels: v.labels ?? {} };
    },
    plainSnapshot,
  );
}

/** One event or an array of them -> BotEvents. A string `data.symbol` fills a missing `symbol`. */
export function normaliseEvents(body: unknown, ctx: NormaliseContext): NormaliseResult<BotEvent[]> {
  return normaliseEach(body, eventInputSchema, (v, prefix, errors) => {
    const source = resolveSource(v.source, ctx, prefix, errors);
    const ts = itemTs(v.ts, ctx, prefix, errors);
    if (source === undefined || ts === undefined) return undefined;
    const data = v.data ?? {};
    const ev: BotEvent = { source, ts, type: v.type, data };
    if (v.severity !== undefined) ev.severity = v.severity;
    if (v.id !== undefined) ev.id = v.id;
    const symbol =
      v.symbol ?? (typeof data.symbol === 'string' && data.symbol !== '' ? data.symbol : undefined);
    if (symbol !== undefined) ev.symbol = symbol.slice(0, LIMITS.symbol);
    return ev;
  });
}

/**
 * One direct alert or an array of them -> AlertSignals: kind `occurrence` (or kind `state`,
 * status `resolved` for `status: "resolved"`), origin `direct`, labels + `source`, annotations
 * `{title, message}`.
 */
export function normaliseDirectAlerts(body: unknown, ctx: NormaliseContext): NormaliseResult<AlertSignal[]> {
  return normaliseEach(body, directAlertInputSchema, (v, prefix, errors) => {
    const source = resolveSource(v.source, ctx, prefix, errors);
    const ts = itemTs(v.ts, ctx, prefix, errors);
    if (source === undefined || ts === undefined) return undefined;
    const labels = { ...(v.labels ?? {}) };
    if (labels.source !== undefined && labels.source !== source) {
      errors.push({
        path: formatPath([...prefix, 'labels', 'source']),
        message: `conflicts with source ${JSON.stringify(source)}; drop it from labels`,
      });
      return undefined;
    }
    labels.source = source;
    const annotations: Record<string, string> = { title: v.title };
    if (v.message !== undefined) annotations.message = v.message;
    const resolved = v.status === 'resolved';
    const signal: AlertSignal = {
      name: v.name,
      kind: resolved ? 'state' : 'occurrence',
      status: resolved ? 'resolved' : 'firing',
      severity: v.severity,
      labels,
      annotations,
      ts,
      origin: 'direct',
    };
    if (v.force !== undefined) signal.force = v.force;
    if (v.value !== undefined) signal.value = v.value;
    if (v.id !== undefined) signal.id = v.id;
    return signal;
  });
}
