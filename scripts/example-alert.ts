import type { AlertView } from '../src/model/alert.js';
import type { Notification } from '../src/model/notification.js';

/**
 * The alert the docs show in every channel (docs/channels.md, docs/images/): the daily-loss alert
 * firing as critical, and its resolve 47 minutes later. Used by scripts/screenshot-email.ts and
 * scripts/render-examples.ts, so every picture and listing shows the same alert.
 */
export const STARTED = Date.UTC(2026, 2, 12, 13, 42, 0);
export const RESOLVED = STARTED + 47 * 60_000;
export const PUBLIC_URL = 'https://klaxon.example.com';
export const FROM = { name: 'Klaxon', address: 'klaxon@example.com' };
export const TO = ['oncall@example.com'];

export const alert: AlertView = {
  fingerprint: '3f2a9c1d7b6e4f08',
  name: 'DailyLossLimit',
  status: 'firing',
  severity: 'critical',
  labels: { source: 'grid-1', env: 'prod', exchange: 'binance', strategy: 'grid' },
  annotations: {
    summary: 'daily loss 104% of limit on grid-1: -$520.00 of -$500.00',
    description:
      'Realised plus unrealised PnL since 00:00 UTC is -$520.00, past the daily loss limit of -$500.00.\n' +
      'The bot has stopped opening positions; open orders stay on the book.',
    runbook_url: 'https://runbooks.example.com/trading/daily-loss',
  },
  links: [{ href: 'https://grafana.example.com/d/pnl?var-bot=grid-1', text: 'PnL dashboard' }],
  value: -520,
  threshold: -500,
  op: '<=',
  unit: 'money',
  startsAt: STARTED,
  firingAt: STARTED,
  occurrences: 4,
};

export const firing: Notification = {
  id: 'n-3f2a9c1d-1',
  receiver: 'ops-email',
  kind: 'firing',
  alerts: [alert],
  thread: alert.fingerprint,
  createdAt: STARTED + 2 * 60_000,
};

export const resolved: Notification = {
  ...firing,
  id: 'n-3f2a9c1d-2',
  kind: 'resolved',
  alerts: [{ ...alert, status: 'resolved', value: -430, endsAt: RESOLVED }],
  createdAt: RESOLVED,
};
