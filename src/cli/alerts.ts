/** `klaxon alerts`, `klaxon alert FINGERPRINT`, `klaxon ack FINGERPRINT`: alerts of a running Klaxon. */
import type { AlertHistory, AlertPage } from '../ingest/alert-api.js';
import type { Alert } from '../model/alert.js';
import { tryParseDuration } from '../model/duration.js';
import { SEVERITIES, parseSeverity } from '../model/severity.js';
import { CONNECTION_HELP, CONNECTION_OPTIONS, KlaxonClient } from './client.js';
import { UsageError, parseFlags, type Command } from './command.js';
import { alertDetail, alertsTable, printable } from './format.js';
import { formatAgo, isoTime } from '../model/time-text.js';

/** Largest page the API gives. */
const PAGE_MAX = 1000;
const STATES = ['pending', 'firing', 'resolved'] as const;
const FP_RE = /^[A-Za-z0-9_.:-]{1,128}$/;

function fingerprintArg(positionals: string[], usage: string): string {
  const [fp, ...extra] = positionals;
  if (fp === undefined) throw new UsageError(`give the alert's fingerprint: ${usage}`);
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  if (!FP_RE.test(fp))
    throw new UsageError(`${JSON.stringify(fp)} is not a fingerprint (letters, digits and _ . : -)`);
  return fp;
}

export const alertsCommand: Command = {
  name: 'alerts',
  summary: 'the alerts of a running Klaxon, newest first (--state, --severity, --source)',
  help: `usage: klaxon alerts [--state STATE] [--severity SEVERITY] [--source SOURCE] [--receiver NAME]
                     [--limit N] [--page-size N] [--json] [--url URL] [--token TOKEN]

Lists the alerts a running Klaxon knows (resolved ones until they are forgotten), newest first:
fingerprint, state, severity, name, source, how long since it started, who acknowledged it. It
follows the pages of GET /v1/alerts to the end, or until --limit.

options:
  --state STATE               only alerts in this state: ${STATES.join(', ')}
  --severity SEVERITY         only this severity: ${SEVERITIES.join(', ')}
  --source SOURCE             only alerts of this source (reads only its shard)
  --receiver NAME             only alerts receiver NAME was told of
  --limit N                   at most N alerts (default: all)
  --page-size N               alerts per request, 1 to ${PAGE_MAX} (default ${PAGE_MAX})
  --json                      print the alerts as a JSON array, as the API gives them
${CONNECTION_HELP}
`,
  async run(args) {
    const { values } = parseFlags(args, {
      ...CONNECTION_OPTIONS,
      state: { type: 'string' },
      severity: { type: 'string' },
      source: { type: 'string' },
      receiver: { type: 'string' },
      limit: { type: 'string' },
      'page-size': { type: 'string' },
      json: { type: 'boolean' },
    });
    const query = new URLSearchParams();
    if (values.state !== undefined) {
      if (!(STATES as readonly string[]).includes(values.state))
        throw new UsageError(`--state is one of ${STATES.join(', ')}, not ${JSON.stringify(values.state)}`);
      query.set('status', values.state);
    }
    if (values.severity !== undefined) {
      const severity = parseSeverity(values.severity);
      if (!severity)
        throw new UsageError(
          `--severity is one of ${SEVERITIES.join(', ')}, not ${JSON.stringify(values.severity)}`,
        );
      query.set('severity', severity);
    }
    if (values.source !== undefined) query.set('source', values.source);
    if (values.receiver !== undefined) query.set('receiver', values.receiver);
    let limit = Infinity;
    if (values.limit !== undefined) {
      limit = /^\d{1,9}$/.test(values.limit) ? Number(values.limit) : 0;
      if (limit < 1)
        throw new UsageError(`--limit takes a whole number above 0, not ${JSON.stringify(values.limit)}`);
    }
    let pageSize = PAGE_MAX;
    if (values['page-size'] !== undefined) {
      pageSize = /^\d{1,4}$/.test(values['page-size']) ? Number(values['page-size']) : 0;
      if (pageSize < 1 || pageSize > PAGE_MAX)
        throw new UsageError(
          `--page-size takes a whole number from 1 to ${PAGE_MAX}, not ${JSON.stringify(values['page-size'])}`,
        );
    }
    const client = KlaxonClient.from(values);
    const alerts: Alert[] = [];
    const cursors = new Set<string>();
    let cursor: string | undefined;
    do {
      const q = new URLSearchParams(query);
      q.set('limit', String(Math.min(pageSize, limit - alerts.length)));
      if (cursor !== undefined) q.set('cursor', cursor);
      const page = await client.get<AlertPage>(`/v1/alerts?${q.toString()}`);
      alerts.push(...page.alerts);
      cursor = page.next;
      // A cursor seen before would go round for ever.
      if (cursor !== undefined && cursors.has(cursor)) break;
      if (cursor !== undefined) cursors.add(cursor);
    } while (cursor !== undefined && alerts.length < limit);
    const shown = alerts.slice(0, limit);
    process.stdout.write(
      values.json ? JSON.stringify(shown, null, 2) + '\n' : alertsTable(shown, Date.now()),
    );
    return 0;
  },
};

export const alertCommand: Command = {
  name: 'alert',
  summary: 'one alert and its history: transitions, notifications, acknowledgements',
  help: `usage: klaxon alert FINGERPRINT [--json] [--url URL] [--token TOKEN]

Shows one alert of a running Klaxon and its history, oldest first: its transitions, the
notifications each receiver was sent, what held it back, who acknowledged it. Times are ISO 8601
(UTC) with how long ago. Its fingerprint is in every notification and in \`klaxon alerts\`.

options:
  --json                      print {alert, history} as the API gives it (history newest first)
${CONNECTION_HELP}
`,
  async run(args) {
    const { values, positionals } = parseFlags(
      args,
      { ...CONNECTION_OPTIONS, json: { type: 'boolean' } },
      true,
    );
    const fp = fingerprintArg(positionals, 'klaxon alert FINGERPRINT');
    const client = KlaxonClient.from(values);
    const found = await client.get<AlertHistory>(`/v1/alerts/${encodeURIComponent(fp)}/history`);
    process.stdout.write(
      values.json
        ? JSON.stringify(found, null, 2) + '\n'
        : alertDetail(fp, found.alert, found.history ?? [], Date.now()),
    );
    return 0;
  },
};

export const ackCommand: Command = {
  name: 'ack',
  summary: 'acknowledge an alert: reminders and escalation stop, its resolve is sent',
  help: `usage: klaxon ack FINGERPRINT [--by NAME] [--comment TEXT] [--expires DURATION]
                  [--url URL] [--token TOKEN]

Acknowledges a firing alert of a running Klaxon: it stops reminding and escalating, the receivers
that were told it fires hear who took it, and its resolve is still sent. The alert's lane applies
it in order with its other inputs, a moment after the command returns. Exits 1 for an unknown
fingerprint or an alert that has resolved.

options:
  --by NAME                   who takes it (default: the token's name)
  --comment TEXT              a note for the others (at most 1024 characters)
  --expires DURATION          the acknowledgement lapses after this long (2h, 30m); then the
                              alert reminds and escalates again if it still fires
${CONNECTION_HELP}
`,
  async run(args) {
    const { values, positionals } = parseFlags(
      args,
      {
        ...CONNECTION_OPTIONS,
        by: { type: 'string' },
        comment: { type: 'string' },
        expires: { type: 'string' },
      },
      true,
    );
    const fp = fingerprintArg(positionals, 'klaxon ack FINGERPRINT');
    const body: Record<string, string> = { via: 'cli' };
    if (values.by !== undefined) {
      if (values.by.trim() === '') throw new UsageError('--by takes a name');
      body.by = values.by;
    }
    if (values.comment !== undefined) body.comment = values.comment;
    if (values.expires !== undefined) {
      const ms = tryParseDuration(values.expires);
      if (ms === undefined || ms <= 0)
        throw new UsageError(
          `--expires takes a duration such as 2h or 30m, not ${JSON.stringify(values.expires)}`,
        );
      body.expires = values.expires;
    }
    const client = KlaxonClient.from(values);
    const res = await client.post<{ fingerprint: string; acknowledged: { by: string; until?: number } }>(
      `/v1/alerts/${encodeURIComponent(fp)}/ack`,
      body,
    );
    const k = res.acknowledged;
    const until =
      k.until !== undefined ? `, until ${isoTime(k.until)} (${formatAgo(k.until, Date.now())})` : '';
    process.stdout.write(printable(`acknowledged ${res.fingerprint} as ${k.by}${until}`) + '\n');
    return 0;
  },
};
