/** #/silences: the silences in force or scheduled, each with "Expire", and a form for a new one. */

import { useState } from 'preact/hooks';
import { del, get, messageOf, seg } from './api';
import { age, iso } from './format';
import { usePoll } from './poll';
import { SilenceForm } from './silence-form';
import type { Silence } from './types';
import { ErrorText, Freshness, Notice, Pill } from './widgets';

const POLL_MS = 10_000;

const loadSilences = () => get<{ silences: Silence[] }>('/v1/silences').then((r) => r.silences);

export function SilencesPage({ user }: { user: string }) {
  const poll = usePoll(loadSilences, POLL_MS);
  const [notice, setNotice] = useState<string>();
  const now = Date.now();
  const silences = (poll.data ?? []).filter((s) => s.endsAt > now).sort((a, b) => a.endsAt - b.endsAt);

  return (
    <>
      <div class="page-head">
        <h1>Silences</h1>
        <Freshness poll={poll} />
      </div>
      {notice && <Notice>{notice}</Notice>}
      {poll.data !== undefined && silences.length === 0 && (
        <p class="empty">No silence is in force or scheduled.</p>
      )}
      <ul class="silences">
        {silences.map((s) => (
          <SilenceRow
            key={s.id}
            silence={s}
            now={now}
            onExpired={() => {
              setNotice(`Silence ${s.id} expired`);
              poll.update((list) => list.filter((x) => x.id !== s.id));
              poll.refresh();
            }}
          />
        ))}
      </ul>

      <section class="card panel">
        <h2>New silence</h2>
        <SilenceForm
          matchers={[{ name: '', value: '', op: '=' }]}
          createdBy={user}
          onCreated={(id) => {
            setNotice(`Silence ${id} created`);
            poll.refresh();
          }}
        />
      </section>
    </>
  );
}

function SilenceRow({
  silence: s,
  now,
  onExpired,
}: {
  silence: Silence;
  now: number;
  onExpired: () => void;
}) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const scheduled = s.startsAt > now;

  const expire = async () => {
    setBusy(true);
    setError(undefined);
    try {
      await del(`/v1/silences/${seg(s.id)}`);
      onExpired();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <li class="card silence" data-id={s.id}>
      <div class="silence-head">
        <ul class="chips">
          {s.matchers.map((m, i) => (
            <li key={i} class="chip">
              <span class="chip-k">{m.name}</span>
              {m.op}
              <span class="chip-v">{m.value}</span>
            </li>
          ))}
        </ul>
        <button type="button" class="btn" disabled={busy} onClick={expire}>
          Expire
        </button>
      </div>
      <p class="silence-meta">
        {scheduled ? (
          <>
            <Pill tone="neutral">scheduled</Pill> starts{' '}
            <span title={iso(s.startsAt)}>{age(s.startsAt, now)}</span>,{' '}
          </>
        ) : (
          <Pill tone="warn">active</Pill>
        )}{' '}
        ends <span title={iso(s.endsAt)}>{age(s.endsAt, now)}</span> · created by{' '}
        <strong>{s.createdBy}</strong>
        {s.createdAt !== undefined && (
          <>
            {' '}
            <span title={iso(s.createdAt)}>{age(s.createdAt, now)}</span>
          </>
        )}
      </p>
      {s.comment && <p class="silence-comment">{s.comment}</p>}
      <p class="muted small">
        <code>{s.id}</code>
      </p>
      <ErrorText message={error} />
    </li>
  );
}
