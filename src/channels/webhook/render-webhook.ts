import type { AlertView } from '../../model/alert.js';
import type { Notification } from '../../model/notification.js';
import { maxSeverity, type Severity } from '../../model/severity.js';
import { formatLabels, formatValue, isoTime, renderText, truncate } from '../render-text.js';

export type WebhookFormat = 'json' | 'slack';

/** `format: json`: the notification as Klaxon sees it, plus its plain-text rendering. */
export interface JsonWebhookPayload {
  version: '1';
  notification: Notification;
  title: string;
  text: string;
}

export interface SlackField {
  title: string;
  value: string;
  short: boolean;
}

/** `format: slack`: what a Slack incoming webhook (and Mattermost, Rocket.Chat…) accepts. */
export interface SlackWebhookPayload {
  text: string;
  attachments: {
    color: string;
    title: string;
    text: string;
    fields: SlackField[];
    /** Unix time in seconds. */
    ts: number;
    fallback: string;
  }[];
}

export type WebhookPayload = JsonWebhookPayload | SlackWebhookPayload;

/** Attachment colours: red, orange, yellow, blue; green once resolved. */
export const SLACK_COLORS: Record<Severity | 'resolved', string> = {
  critical: '#d00000',
  high: '#f46d00',
  warning: '#f2c744',
  info: '#439fe0',
  resolved: '#2eb886',
};

/** Slack shows at most about 4000 characters of a message before folding it; stay below. */
export const SLACK_TEXT_MAX = 3500;
const SLACK_FIELD_MAX = 500;

export function renderWebhookPayload(n: Notification, format: WebhookFormat): WebhookPayload {
  return format === 'slack' ? renderSlack(n) : renderJson(n);
}

export function renderJson(n: Notification): JsonWebhookPayload {
  const { title, text } = renderText(n);
  return { version: '1', notification: n, title, text };
}

/**
 * Slack-compatible payload. Every piece of alert text is escaped (`&`, `<`, `>`), so an alert
 * can never ping `<!channel>`/`<!here>`/`<@user>` or forge a link.
 */
export function renderSlack(n: Notification): SlackWebhookPayload {
  const { title, text } = renderText(n);
  const a = n.alert;
  const resolved = n.kind !== 'summary' && (n.kind === 'resolved' || a.status === 'resolved');
  const severity = n.kind === 'summary' ? summarySeverity(n) : a.severity;
  const fields: SlackField[] = [];
  if (n.kind !== 'summary') {
    fields.push({ title: 'Severity', value: a.severity, short: true });
    fields.push({ title: 'Status', value: resolved ? 'resolved' : 'firing', short: true });
    if (a.value !== undefined) fields.push({ title: 'Value', value: formatValue(a.value), short: true });
    fields.push({ title: 'Occurrences', value: String(a.occurrences), short: true });
    fields.push({ title: 'Started', value: isoTime(a.startsAt), short: true });
    if (resolved && a.endsAt !== undefined)
      fields.push({ title: 'Ended', value: isoTime(a.endsAt), short: true });
    const labels = formatLabels(a.labels);
    if (labels) fields.push({ title: 'Labels', value: truncate(labels, SLACK_FIELD_MAX), short: false });
  } else {
    fields.push({ title: 'Alerts', value: String(n.summary?.total ?? 1), short: true });
  }
  const safeTitle = slackEscape(title);
  return {
    text: safeTitle,
    attachments: [
      {
        color: SLACK_COLORS[resolved ? 'resolved' : severity],
        title: safeTitle,
        text: slackEscape(truncate(text, SLACK_TEXT_MAX)),
        fields: fields.map((f) => ({ ...f, value: slackEscape(f.value) })),
        ts: Math.floor(eventTime(n, resolved) / 1000),
        fallback: safeTitle,
      },
    ],
  };
}

/** Slack's required escaping for message text: only `&`, `<` and `>`. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function eventTime(n: Notification, resolved: boolean): number {
  if (n.kind === 'summary') return n.createdAt;
  if (resolved && n.alert.endsAt !== undefined) return n.alert.endsAt;
  return n.kind === 'firing' ? n.alert.startsAt : n.createdAt;
}

function summarySeverity(n: Notification): Severity {
  const all: AlertView[] = n.summary?.alerts ?? [];
  return all.reduce<Severity>((s, a) => maxSeverity(s, a.severity), n.alert.severity);
}
