import type { Notification } from '../../model/notification.js';
import type { Severity } from '../../model/severity.js';
import { truncate, type MessageContent } from '../content.js';
import { renderText } from '../render-text.js';

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

export function renderWebhookPayload(
  n: Notification,
  c: MessageContent,
  format: WebhookFormat,
): WebhookPayload {
  return format === 'slack' ? renderSlack(c) : renderJson(n, c);
}

export function renderJson(n: Notification, c: MessageContent): JsonWebhookPayload {
  const { title, text } = renderText(c);
  return { version: '1', notification: n, title, text };
}

/**
 * Slack-compatible payload. Every piece of alert text is escaped (`&`, `<`, `>`), so an alert
 * can never ping `<!channel>`/`<!here>`/`<@user>` or forge a link.
 */
export function renderSlack(c: MessageContent): SlackWebhookPayload {
  const { title, text } = renderText(c);
  const fields: SlackField[] = c.facts.map((f) => ({
    title: f.label,
    value: truncate(f.value, SLACK_FIELD_MAX),
    short: f.value.length <= 40,
  }));
  if (c.labels.length > 0)
    fields.push({
      title: 'Labels',
      value: truncate(c.labels.map(([k, v]) => `${k}=${v}`).join(', '), SLACK_FIELD_MAX),
      short: false,
    });
  const safeTitle = slackEscape(title);
  return {
    text: safeTitle,
    attachments: [
      {
        color: SLACK_COLORS[c.resolved ? 'resolved' : c.severity],
        title: safeTitle,
        text: slackEscape(truncate(text, SLACK_TEXT_MAX)),
        fields: fields.map((f) => ({ ...f, value: slackEscape(f.value) })),
        ts: Math.floor(c.at / 1000),
        fallback: safeTitle,
      },
    ],
  };
}

/** Slack's required escaping for message text: only `&`, `<` and `>`. */
export function slackEscape(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
