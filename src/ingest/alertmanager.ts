/**
 * Prometheus Alertmanager webhook (payload version 4) -> AlertSignals, one per entry of `alerts[]`.
 * Unknown fields are ignored (newer releases add `notification_reason`, for instance).
 *
 * Alerts get the limits of `POST /v1/alerts`, from the same schemas (src/model/inputs.ts):
 * `labels.alertname` is an alert name, `labels` obey the label limits, a `source` label is a
 * source, `annotations.summary` (the title) has the title's limit and every other annotation
 * the message's.
 */
import { z } from 'zod';
import {
  LIMITS,
  alertNameSchema,
  alertTitleSchema,
  annotationsSchema,
  formatPath,
  futureTsError,
  issuesToErrors,
  labelsSchema,
  parseIsoTime,
  sourceSchema,
  type FieldError,
  type NormaliseContext,
  type NormaliseResult,
} from '../model/inputs.js';
import { parseSeverity, type Severity } from '../model/severity.js';
import type { AlertSignal } from '../model/signal.js';

/** RFC 3339 with nanoseconds and an offset is 35 characters. */
const MAX_TIME_LENGTH = 64;

const text = (max: number, what = 'a string') =>
  z.string({ error: `must be ${what}` }).max(max, { error: `is longer than ${max} characters` });

const amAlertSchema = z.object(
  {
    status: z.enum(['firing', 'resolved'], { error: 'must be "firing" or "resolved"' }),
    labels: labelsSchema,
    annotations: annotationsSchema.optional(),
    startsAt: text(MAX_TIME_LENGTH, 'an RFC 3339 string').optional(),
    endsAt: text(MAX_TIME_LENGTH, 'an RFC 3339 string').optional(),
    generatorURL: text(LIMITS.message).optional(),
    fingerprint: text(LIMITS.name).optional(),
  },
  { error: 'must be an object (one Alertmanager alert)' },
);

export const alertmanagerPayloadSchema = z.object(
  {
    version: text(LIMITS.name).optional(),
    status: text(LIMITS.name).optional(),
    receiver: text(LIMITS.title).optional(),
    groupKey: text(LIMITS.message).optional(),
    externalURL: text(LIMITS.message).optional(),
    truncatedAlerts: z.number({ error: 'must be a number' }).int().nonnegative().optional(),
    alerts: z
      .array(amAlertSchema, {
        error: (iss) => (iss.input === undefined ? 'is required' : 'must be an array'),
      })
      .min(1, { error: 'holds no alerts' }),
  },
  { error: 'the body must be an Alertmanager webhook payload (a JSON object)' },
);

export type AlertmanagerPayload = z.output<typeof alertmanagerPayloadSchema>;

export interface AlertmanagerOptions {
  /** `source` label for alerts that carry none (config `alertmanager.source`, default `alertmanager`). */
  source: string;
  /** Receive time (ms): the time of alerts whose timestamps are missing or zero. */
  receivedAt: number;
  /** Refuse `startsAt`/`endsAt` more than this many ms after `receivedAt` (`server.max_future_skew`). */
  maxFutureSkew?: number;
}

export interface AlertmanagerResult {
  signals: AlertSignal[];
  /** Alerts Alertmanager left out because of `max_alerts`. */
  truncatedAlerts: number;
  groupKey?: string;
  receiver?: string;
  version?: string;
}

/**
 * Alertmanager's "no time" (`0001-01-01T00:00:00Z`) and anything before 1970 count as absent.
 * With `future`, a time too far ahead of the server's clock is refused.
 */
function amTime(
  s: string | undefined,
  path: PropertyKey[],
  errors: FieldError[],
  future?: NormaliseContext,
): number | undefined {
  if (s === undefined || s === '') return undefined;
  const ms = parseIsoTime(s);
  if (ms === undefined) {
    errors.push({
      path: formatPath(path),
      message: `${JSON.stringify(s.slice(0, 40))} is not an RFC 3339 time`,
    });
    return undefined;
  }
  if (ms <= 0) return undefined;
  const tooLate = future && futureTsError(ms, future);
  if (tooLate) {
    errors.push({ path: formatPath(path), message: tooLate });
    return undefined;
  }
  return ms;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The fields of each alert with a stricter rule than the payload schema gives all their kind:
 * `labels.alertname` (an alert name), `labels.source` (a source), `annotations.summary` (a
 * title). Read from the raw body, so that they are reported along with the payload schema's
 * errors, which they replace at the same path (theirs is the tighter rule). A field under an
 * object the payload schema already faulted (`labels` is not an object, has too many entries) is
 * not checked.
 */
function withAlertFieldErrors(body: unknown, schemaErrors: readonly FieldError[]): FieldError[] {
  const errors: FieldError[] = [];
  if (!isObject(body) || !Array.isArray(body.alerts)) return [...schemaErrors];
  const faultedAbove = (path: string) =>
    schemaErrors.some((e) => path.startsWith(e.path) && /^[.[]/.test(path.slice(e.path.length)));
  const check = (schema: z.ZodType, value: unknown, at: PropertyKey[]) => {
    if (faultedAbove(formatPath(at))) return;
    const r = schema.safeParse(value);
    if (!r.success) errors.push(...issuesToErrors(r.error.issues, at));
  };
  body.alerts.forEach((a: unknown, i) => {
    if (!isObject(a)) return;
    const at = ['alerts', i];
    if (isObject(a.labels)) {
      const name = a.labels.alertname;
      const namePath = [...at, 'labels', 'alertname'];
      if (name === undefined || (typeof name === 'string' && name.trim() === '')) {
        if (!faultedAbove(formatPath(namePath)))
          errors.push({ path: formatPath(namePath), message: 'is required' });
      } else check(alertNameSchema, name, namePath);
      const source = a.labels.source;
      if (source !== undefined && source !== '') check(sourceSchema, source, [...at, 'labels', 'source']);
    }
    if (isObject(a.annotations) && a.annotations.summary !== undefined)
      check(alertTitleSchema, a.annotations.summary, [...at, 'annotations', 'summary']);
  });
  const replaced = new Set(errors.map((e) => e.path));
  return [...schemaErrors.filter((e) => !replaced.has(e.path)), ...errors];
}

function httpUrl(s: string | undefined): string | undefined {
  if (!s) return undefined;
  try {
    const u = new URL(s);
    return u.protocol === 'http:' || u.protocol === 'https:' ? s : undefined;
  } catch {
    return undefined;
  }
}

/** Parses a webhook body into one signal per alert (kind `state`, status per alert). */
export function parseAlertmanagerWebhook(
  body: unknown,
  opts: AlertmanagerOptions,
): NormaliseResult<AlertmanagerResult> {
  const parsed = alertmanagerPayloadSchema.safeParse(body);
  const errors = withAlertFieldErrors(body, parsed.success ? [] : issuesToErrors(parsed.error.issues));
  if (!parsed.success) return { ok: false, errors };
  const p = parsed.data;
  const truncated = p.truncatedAlerts ?? 0;
  const external = httpUrl(p.externalURL);
  const future: NormaliseContext = { receivedAt: opts.receivedAt };
  if (opts.maxFutureSkew !== undefined) future.maxFutureSkew = opts.maxFutureSkew;

  const signals = p.alerts.map((a, i): AlertSignal | undefined => {
    const at: PropertyKey[] = ['alerts', i];
    const name = a.labels.alertname;
    if (name === undefined || name.trim() === '') return undefined; // reported by withAlertFieldErrors
    const startsAt = amTime(a.startsAt, [...at, 'startsAt'], errors, future);
    // A firing alert's endsAt is not used (Alertmanager sends 0001-01-01 there).
    const endsAt = amTime(a.endsAt, [...at, 'endsAt'], errors, a.status === 'resolved' ? future : undefined);

    const labels: Record<string, string> = { ...a.labels };
    if (labels.source === undefined || labels.source === '') labels.source = opts.source;

    const annotations: Record<string, string> = {};
    const { summary, description, ...rest } = a.annotations ?? {};
    annotations.title = summary !== undefined && summary !== '' ? summary : name;
    if (description !== undefined) annotations.message = description;
    for (const [k, v] of Object.entries(rest)) if (k !== 'title' && k !== 'message') annotations[k] = v;

    const word = a.labels.severity;
    let severity: Severity = 'warning';
    if (word !== undefined) {
      const s = parseSeverity(word);
      if (s) severity = s;
      else annotations.original_severity = word;
    }
    if (truncated > 0) annotations.truncated_alerts = String(truncated);

    const links: { href: string; text: string }[] = [];
    const generator = httpUrl(a.generatorURL);
    if (generator) links.push({ href: generator, text: 'Source' });
    if (external) links.push({ href: external, text: 'Alertmanager' });

    const ts = (a.status === 'resolved' ? endsAt : startsAt) ?? startsAt ?? opts.receivedAt;
    const signal: AlertSignal = {
      name,
      kind: 'state',
      status: a.status,
      severity,
      labels,
      annotations,
      ts,
      origin: 'alertmanager',
    };
    if (startsAt !== undefined) signal.startsAt = startsAt;
    if (links.length > 0) signal.links = links;
    return signal;
  });

  if (errors.length > 0) return { ok: false, errors };
  const result: AlertmanagerResult = {
    signals: signals.filter((s): s is AlertSignal => s !== undefined),
    truncatedAlerts: truncated,
  };
  if (p.groupKey !== undefined) result.groupKey = p.groupKey;
  if (p.receiver !== undefined) result.receiver = p.receiver;
  if (p.version !== undefined) result.version = p.version;
  return { ok: true, value: result };
}
