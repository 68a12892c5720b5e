/**
 * Prometheus Alertmanager webhook (payload version 4) -> AlertSignals, one per entry of `alerts[]`.
 * Unknown fields are ignored (newer releases add `notification_reason`, for instance).
 */
import { z } from 'zod';
import {
  formatPath,
  issuesToErrors,
  parseIsoTime,
  type FieldError,
  type NormaliseResult,
} from '../model/inputs.js';
import { parseSeverity, type Severity } from '../model/severity.js';
import type { AlertSignal } from '../model/signal.js';

const stringMap = (what: string) =>
  z.record(
    z
      .string()
      .min(1, { error: `${what} names must not be empty` })
      .max(1024),
    z.string({
      error: (iss) => `${what} values must be strings, got ${iss.input === null ? 'null' : typeof iss.input}`,
    }),
    { error: `must be an object of ${what}s` },
  );

const amAlertSchema = z.object({
  status: z.enum(['firing', 'resolved'], { error: 'must be "firing" or "resolved"' }),
  labels: stringMap('label'),
  annotations: stringMap('annotation').optional(),
  startsAt: z.string({ error: 'must be an RFC 3339 string' }).optional(),
  endsAt: z.string({ error: 'must be an RFC 3339 string' }).optional(),
  generatorURL: z.string({ error: 'must be a string' }).optional(),
  fingerprint: z.string({ error: 'must be a string' }).optional(),
});

export const alertmanagerPayloadSchema = z.object(
  {
    version: z.string({ error: 'must be a string' }).optional(),
    status: z.string({ error: 'must be a string' }).optional(),
    receiver: z.string({ error: 'must be a string' }).optional(),
    groupKey: z.string({ error: 'must be a string' }).optional(),
    externalURL: z.string({ error: 'must be a string' }).optional(),
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
}

export interface AlertmanagerResult {
  signals: AlertSignal[];
  /** Alerts Alertmanager left out because of `max_alerts`. */
  truncatedAlerts: number;
  groupKey?: string;
  receiver?: string;
  version?: string;
}

/** Alertmanager's "no time" (`0001-01-01T00:00:00Z`) and anything before 1970 count as absent. */
function amTime(s: string | undefined, path: PropertyKey[], errors: FieldError[]): number | undefined {
  if (s === undefined || s === '') return undefined;
  const ms = parseIsoTime(s);
  if (ms === undefined) {
    errors.push({
      path: formatPath(path),
      message: `${JSON.stringify(s.slice(0, 40))} is not an RFC 3339 time`,
    });
    return undefined;
  }
  return ms <= 0 ? undefined : ms;
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
  if (!parsed.success) return { ok: false, errors: issuesToErrors(parsed.error.issues) };
  const p = parsed.data;
  const errors: FieldError[] = [];
  const truncated = p.truncatedAlerts ?? 0;
  const external = httpUrl(p.externalURL);

  const signals = p.alerts.map((a, i): AlertSignal | undefined => {
    const at: PropertyKey[] = ['alerts', i];
    const name = a.labels.alertname;
    if (name === undefined || name.trim() === '') {
      errors.push({ path: formatPath([...at, 'labels', 'alertname']), message: 'is required' });
      return undefined;
    }
    const startsAt = amTime(a.startsAt, [...at, 'startsAt'], errors);
    const endsAt = amTime(a.endsAt, [...at, 'endsAt'], errors);

    const labels: Record<string, string> = { ...a.labels };
    if (labels.source === undefined || labels.source === '') labels.source = opts.source;

    const annotations: Record<string, string> = {};
    const { summary, description, ...rest } = a.annotations ?? {};
    annotations.title = summary ?? name;
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
