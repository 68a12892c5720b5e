/**
 * #/alerts: what fires now, grouped by source (the bot) and, within a source, most severe first.
 * All filters work on the loaded list and live in the hash (`#/alerts?severity=critical&q=btc`),
 * so a reload or a shared link keeps them.
 */

import { useEffect } from 'preact/hooks';
import { get } from './api';
import { duration, inUnit, thresholdText, titleOf } from './format';
import { usePoll } from './poll';
import { alertHref, hashOf, replaceHash } from './route';
import { SEVERITIES, type Alert, type AlertPage } from './types';
import { Ago, Field, Freshness, Options, SeverityBadge, StatusBadge } from './widgets';

const POLL_MS = 3_000;
/** Pages of 1000 followed at most: enough for any sane number of live alerts. */
const MAX_PAGES = 5;
/** Resolved alerts listed at most under "Resolved". */
const MAX_RESOLVED = 100;

/** The last #/alerts hash, so the timeline's back link returns to the same filters. */
export let lastAlertsHash = '#/alerts';

/** Every alert Klaxon keeps (newest `lastSeenAt` first), following `next` across pages. */
async function loadAlerts(): Promise<Alert[]> {
  const alerts: Alert[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    const q = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const r = await get<AlertPage>(`/v1/alerts?limit=1000${q}`);
    alerts.push(...r.alerts);
    cursor = r.next;
    if (!cursor) break;
  }
  return alerts;
}

interface Filters {
  /** '' (firing and pending), 'firing', 'pending' or 'resolved'. */
  status: string;
  severity: string;
  source: string;
  receiver: string;
  q: string;
}

function filtersOf(query: URLSearchParams): Filters {
  return {
    status: query.get('status') ?? query.get('state') ?? '',
    severity: query.get('severity') ?? '',
    source: query.get('source') ?? '',
    receiver: query.get('receiver') ?? '',
    q: query.get('q') ?? '',
  };
}

export const sourceOf = (a: Alert): string => a.labels.source ?? '';

/** Whether the alert passes the filters other than its status. */
function matches(a: Alert, f: Filters): boolean {
  if (f.severity && a.severity !== f.severity) return false;
  if (f.source && sourceOf(a) !== f.source) return false;
  if (f.receiver && !a.notified.includes(f.receiver)) return false;
  const q = f.q.trim().toLowerCase();
  if (q) {
    const labels = Object.entries(a.labels).map(([k, v]) => `${k}=${v}`);
    const text = [a.name, titleOf(a), ...labels].join('\n').toLowerCase();
    if (!text.includes(q)) return false;
  }
  return true;
}

const rank = (s: string): number => {
  const i = (SEVERITIES as readonly string[]).indexOf(s);
  return i < 0 ? SEVERITIES.length : i;
};

/** Most severe first, then the newest `lastSeenAt`. */
const bySeverity = (a: Alert, b: Alert): number =>
  rank(a.severity) - rank(b.severity) || b.lastSeenAt - a.lastSeenAt;

/** Alerts by source: the sources with the most severe alert first, then by name. */
function groupBySource(alerts: Alert[]): [string, Alert[]][] {
  const groups = new Map<string, Alert[]>();
  for (const a of alerts) {
    const list = groups.get(sourceOf(a)) ?? [];
    list.push(a);
    groups.set(sourceOf(a), list);
  }
  for (const list of groups.values()) list.sort(bySeverity);
  return [...groups].sort(
    ([sa, la], [sb, lb]) => rank(la[0]!.severity) - rank(lb[0]!.severity) || sa.localeCompare(sb),
  );
}

const distinct = (values: string[]): string[] => [...new Set(values)].filter((v) => v !== '').sort();

export function AlertsPage({ query }: { query: URLSearchParams }) {
  const poll = usePoll(loadAlerts, POLL_MS);
  const filters = filtersOf(query);
  const all = poll.data ?? [];

  const set = (name: keyof Filters, value: string) =>
    replaceHash(hashOf('/alerts', { ...filters, [name]: value }));
  useEffect(() => {
    lastAlertsHash = hashOf('/alerts', { ...filters });
  });

  const shown = all.filter((a) => matches(a, filters));
  const active = shown.filter((a) =>
    filters.status ? a.status === filters.status : a.status === 'firing' || a.status === 'pending',
  );
  const resolved = filters.status
    ? []
    : shown
        .filter((a) => a.status === 'resolved')
        .sort((a, b) => (b.endsAt ?? b.lastSeenAt) - (a.endsAt ?? a.lastSeenAt));
  const firing = all.filter((a) => a.status === 'firing');
  const filtered = Object.values(filters).some((v) => v !== '');

  return (
    <>
      <div class="page-head">
        <h1>Alerts</h1>
        <Freshness poll={poll} />
      </div>
      <p class="summary">
        <strong>{firing.length}</strong> firing
        <span class="sep">·</span>
        <strong>{all.filter((a) => a.status === 'pending').length}</strong> pending
        <span class="sep">·</span>
        <strong>{firing.filter((a) => a.acknowledged).length}</strong> acknowledged
      </p>

      <form class="filters" onSubmit={(e) => e.preventDefault()} role="search">
        <Field label="State">
          <select value={filters.status} onChange={(e) => set('status', e.currentTarget.value)}>
            <option value="">Active</option>
            <option value="firing">Firing</option>
            <option value="pending">Pending</option>
            <option value="resolved">Resolved</option>
          </select>
        </Field>
        <Choice
          label="Severity"
          value={filters.severity}
          options={[...SEVERITIES]}
          onChange={(v) => set('severity', v)}
        />
        <Choice
          label="Source"
          value={filters.source}
          options={distinct(all.map(sourceOf))}
          onChange={(v) => set('source', v)}
        />
        <Choice
          label="Receiver"
          value={filters.receiver}
          options={distinct(all.flatMap((a) => a.notified))}
          onChange={(v) => set('receiver', v)}
        />
        <Field label="Search" grow>
          <input
            type="search"
            value={filters.q}
            placeholder="name, title, label…"
            onInput={(e) => set('q', e.currentTarget.value)}
          />
        </Field>
        {filtered && (
          <a class="btn btn-quiet clear" href="#/alerts">
            Clear filters
          </a>
        )}
      </form>

      {poll.data === undefined ? null : active.length === 0 ? (
        <p class="empty">{filtered ? 'No alert matches these filters.' : 'Nothing is firing. All quiet.'}</p>
      ) : (
        groupBySource(active).map(([source, alerts]) => (
          <section key={source} class="group">
            <h2 class="group-head">
              {source || 'no source'} <span class="count">{alerts.length}</span>
            </h2>
            <AlertList alerts={alerts} />
          </section>
        ))
      )}

      {resolved.length > 0 && (
        <details class="group resolved">
          <summary>
            Resolved <span class="count">{resolved.length}</span>
          </summary>
          <AlertList alerts={resolved.slice(0, MAX_RESOLVED)} showSource />
          {resolved.length > MAX_RESOLVED && (
            <p class="muted">The {MAX_RESOLVED} most recent are shown; filter to find others.</p>
          )}
        </details>
      )}
    </>
  );
}

/** A select of the values seen in the data, keeping a value from the hash that is not (yet) seen. */
function Choice(props: { label: string; value: string; options: string[]; onChange: (v: string) => void }) {
  const options =
    props.value && !props.options.includes(props.value) ? [props.value, ...props.options] : props.options;
  return (
    <Field label={props.label}>
      <select value={props.value} onChange={(e) => props.onChange(e.currentTarget.value)}>
        <option value="">Any</option>
        <Options values={options} />
      </select>
    </Field>
  );
}

function AlertList({ alerts, showSource = false }: { alerts: Alert[]; showSource?: boolean }) {
  return (
    <ul class="alerts">
      {alerts.map((a) => (
        <AlertRow key={a.fingerprint} alert={a} showSource={showSource} />
      ))}
    </ul>
  );
}

/** How long it has been in its state: `firing for 12m`, `pending for 40s`, `resolved 3 min ago`. */
function since(a: Alert) {
  const now = Date.now();
  if (a.status === 'firing') return `firing for ${duration(now - (a.firingAt ?? a.startsAt))}`;
  if (a.status === 'pending') return `pending for ${duration(now - a.startsAt)}`;
  return (
    <>
      resolved <Ago t={a.endsAt ?? a.lastSeenAt} />
    </>
  );
}

function AlertRow({ alert: a, showSource }: { alert: Alert; showSource: boolean }) {
  const title = titleOf(a);
  return (
    <li
      class={`alert sev-edge-${a.severity}`}
      data-fp={a.fingerprint}
      data-status={a.status}
      data-acked={a.acknowledged ? 'true' : 'false'}
      data-silenced={a.silencedBy ? 'true' : 'false'}
    >
      <a class="alert-link" href={alertHref(a.fingerprint)}>
        <span class="alert-sev">
          <SeverityBadge severity={a.severity} />
        </span>
        <span class="alert-main">
          <span class="alert-name">{a.name}</span>
          {title && <span class="alert-title">{title}</span>}
          <span class="alert-tags">
            {a.status !== 'firing' && <StatusBadge status={a.status} />}
            {showSource && sourceOf(a) && <span class="tag">{sourceOf(a)}</span>}
            {a.acknowledged && <span class="tag tag-ack">acknowledged by {a.acknowledged.by}</span>}
            {a.silencedBy && <span class="tag tag-silenced">silenced</span>}
            {a.flapping && <span class="tag tag-flap">flapping</span>}
          </span>
        </span>
        <span class="alert-value">
          {a.value !== undefined && <span class="alert-v">{inUnit(a.value, a.unit)}</span>}
          {a.value !== undefined && a.threshold !== undefined && (
            <span class="alert-th">{thresholdText(a)}</span>
          )}
        </span>
        <span class="alert-since">
          {since(a)}
          <span class="alert-seen">
            last seen <Ago t={a.lastSeenAt} />
          </span>
        </span>
      </a>
    </li>
  );
}
