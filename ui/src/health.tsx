/**
 * #/health: is Klaxon itself well? Redis, the ingest queue, each receiver's delivery, the workers,
 * and the dead letters (notifications given up on), each of which can be sent again.
 */

import { useState } from 'preact/hooks';
import { get, messageOf, post, seg } from './api';
import { usePoll, type Polled } from './poll';
import { alertHref } from './route';
import type { DeadLetter, DeadLetters, Health, QueueCounts, ReceiverHealth } from './types';
import { Ago, ErrorText, Freshness, Notice, Pill, SeverityBadge } from './widgets';

const POLL_MS = 10_000;

// `/health` answers 503 with its body when Klaxon is down: that is a report, not a failure.
const loadHealth = () => get<Health>('/health', { accept: [503] });
const loadDeadLetters = () => get<DeadLetters>('/v1/dead-letters?limit=50');

const TONES = { ok: 'ok', degraded: 'warn', down: 'bad', failing: 'warn', broken: 'bad' } as const;
const toneOf = (state: string | undefined) => TONES[(state ?? '') as keyof typeof TONES] ?? 'neutral';

const time = (isoTime: string | undefined) => (isoTime ? <Ago t={Date.parse(isoTime)} /> : 'never');

export function HealthPage() {
  const health = usePoll(loadHealth, POLL_MS);
  const dead = usePoll(loadDeadLetters, POLL_MS);
  const h = health.data;
  const receivers = Object.entries(h?.receivers ?? {}).sort(([a], [b]) => a.localeCompare(b));

  return (
    <>
      <div class="page-head">
        <h1>Health</h1>
        <Freshness poll={health} />
      </div>
      {h && (
        <>
          <div class="cards cards-4">
            <div class="card stat">
              <span class="stat-name">Klaxon</span>
              <Pill tone={toneOf(h.status)}>{h.status}</Pill>
            </div>
            <div class="card stat">
              <span class="stat-name">Redis</span>
              <Pill tone={h.redis.ok ? 'ok' : 'bad'}>{h.redis.ok ? 'ok' : 'unreachable'}</Pill>
              {h.redis.error && <span class="muted small">{h.redis.error}</span>}
            </div>
            <div class="card stat">
              <span class="stat-name">Ingest queue</span>
              <Queue counts={h.queues?.ingest} />
            </div>
            <div class="card stat">
              <span class="stat-name">Workers</span>
              <strong class="stat-value">{h.workers?.count ?? '?'}</strong>
            </div>
          </div>

          <section>
            <h2>Receivers</h2>
            {receivers.length === 0 ? (
              <p class="empty">No receiver reported.</p>
            ) : (
              <table class="table receivers">
                <thead>
                  <tr>
                    <th scope="col">Receiver</th>
                    <th scope="col">State</th>
                    <th scope="col">Last success</th>
                    <th scope="col">Last failure</th>
                    <th scope="col">Last error</th>
                    <th scope="col">Queue</th>
                  </tr>
                </thead>
                <tbody>
                  {receivers.map(([name, r]) => (
                    <ReceiverRow key={name} name={name} r={r} />
                  ))}
                </tbody>
              </table>
            )}
          </section>
        </>
      )}

      <DeadLetterList poll={dead} />
    </>
  );
}

function ReceiverRow({ name, r }: { name: string; r: ReceiverHealth }) {
  return (
    <tr data-receiver={name}>
      <th scope="row">{name}</th>
      <td data-label="State">
        <Pill tone={toneOf(r.state ?? (r.lastError ? 'failing' : 'ok'))}>{r.state ?? 'ok'}</Pill>
      </td>
      <td data-label="Last success">{time(r.lastSuccess)}</td>
      <td data-label="Last failure">{time(r.lastFailure)}</td>
      <td data-label="Last error" class="error-cell">
        {r.lastError ?? <span class="muted">none</span>}
      </td>
      <td data-label="Queue">
        <Queue counts={r.queue} />
      </td>
    </tr>
  );
}

function Queue({ counts }: { counts: QueueCounts | undefined }) {
  if (!counts) return <span class="muted">?</span>;
  return (
    <span class="queue">
      {(['wait', 'active', 'delayed', 'failed'] as const).map((k) => (
        <span key={k} class={k === 'failed' && counts[k] > 0 ? 'tone-bad' : ''}>
          {k} <strong>{counts[k]}</strong>
        </span>
      ))}
    </span>
  );
}

function DeadLetterList({ poll }: { poll: Polled<DeadLetters> }) {
  const [notice, setNotice] = useState<string>();
  /** Retried letters (notification id → when), hidden until the server's list no longer has them. */
  const [retried, setRetried] = useState<Record<string, number>>({});
  const letters = (poll.data?.deadLetters ?? []).filter(
    (d) => !(retried[d.notification.id] !== undefined && d.at <= retried[d.notification.id]!),
  );

  return (
    <section>
      <h2>
        Dead letters <span class="count">{poll.data?.count ?? '…'}</span>
      </h2>
      {poll.error && (
        <div role="alert" class="banner banner-error">
          Dead letters not refreshed: {poll.error.message}
        </div>
      )}
      {notice && <Notice>{notice}</Notice>}
      {poll.data && letters.length === 0 && <p class="empty">None: every notification was delivered.</p>}
      <ul class="dead-letters">
        {letters.map((d) => (
          <DeadLetterRow
            key={`${d.notification.id}-${d.at}`}
            letter={d}
            onRetried={() => {
              setRetried((r) => ({ ...r, [d.notification.id]: d.at }));
              setNotice(`Notification ${d.notification.id} to ${d.receiver} queued again`);
            }}
          />
        ))}
      </ul>
    </section>
  );
}

function DeadLetterRow({ letter: d, onRetried }: { letter: DeadLetter; onRetried: () => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const retry = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await post(`/v1/dead-letters/${seg(d.notification.id)}/retry`);
      onRetried();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };
  return (
    <li class="card dead-letter" data-id={d.notification.id}>
      <div class="dead-head">
        <span>
          <strong>{d.receiver}</strong>
          {d.target && <span class="muted"> ({d.target})</span>}: {d.notification.kind} · <Ago t={d.at} /> ·{' '}
          {d.attempts} attempt{d.attempts === 1 ? '' : 's'}
        </span>
        <button type="button" class="btn" disabled={busy} onClick={retry}>
          Retry
        </button>
      </div>
      <p class="dead-reason">{d.reason}</p>
      <ul class="dead-alerts">
        {d.notification.alerts.map((a) => (
          <li key={a.fingerprint}>
            <SeverityBadge severity={a.severity} /> <a href={alertHref(a.fingerprint)}>{a.name}</a>
            {a.labels.source && <span class="muted"> · {a.labels.source}</span>}
          </li>
        ))}
      </ul>
      <ErrorText message={error} />
    </li>
  );
}
