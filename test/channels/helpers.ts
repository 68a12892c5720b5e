import { readFileSync } from 'node:fs';
import type { AlertView } from '../../src/model/alert.js';
import type { Delivery } from '../../src/channels/channel.js';
import { describe as describeContent } from '../../src/channels/content.js';
import type { MessageRef, Notification } from '../../src/model/notification.js';

export const T0 = Date.UTC(2026, 0, 15, 9, 30, 0); // 2026-01-15T09:30:00.000Z

export function alertView(over: Partial<AlertView> = {}): AlertView {
  return {
    fingerprint: 'fp-0123456789abcdef',
    name: 'DrawdownHigh',
    status: 'firing',
    severity: 'critical',
    labels: { source: 'bot-eu-1', symbol: 'BTCUSDT' },
    annotations: {
      summary: 'Drawdown above 5% on BTCUSDT',
      description: 'Equity fell 6.2% from the session high.',
    },
    value: 6.2,
    startsAt: T0,
    occurrences: 3,
    ...over,
  };
}

export function notification(over: Partial<Notification> = {}, alert: Partial<AlertView> = {}): Notification {
  return {
    id: 'n-1',
    receiver: 'ops',
    kind: 'firing',
    alerts: [alertView(alert)],
    thread: alert.fingerprint ?? 'fp-0123456789abcdef',
    createdAt: T0 + 60_000,
    ...over,
  };
}

/** A delivery of `n` as the delivery worker hands it to a channel: content decided, previous message if any. */
export function delivery(
  n: Notification,
  opts: { previous?: MessageRef; signal?: AbortSignal; now?: number; publicUrl?: string } = {},
): Delivery {
  return {
    notification: n,
    content: describeContent(n, { publicUrl: opts.publicUrl }),
    previous: opts.previous,
    signal: opts.signal ?? AbortSignal.timeout(10_000),
    now: opts.now ?? n.createdAt,
  };
}

/** The long multilingual description of the Alertmanager fixture. */
export function unicodeLongDescription(): { description: string; labels: Record<string, string> } {
  // Copied from /work/shared/fixtures/alertmanager/unicode-long-text.json (a real Alertmanager delivery).
  const raw = JSON.parse(
    readFileSync(new URL('./fixtures/unicode-long-text.json', import.meta.url), 'utf8'),
  ) as { alerts: { labels: Record<string, string>; annotations: Record<string, string> }[] };
  const a = raw.alerts[0]!;
  return { description: a.annotations.description!, labels: a.labels };
}
