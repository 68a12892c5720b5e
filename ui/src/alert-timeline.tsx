/**
 * #/alerts/<fingerprint>: one alert, what can be done about it (acknowledge, silence) and its
 * history, newest first. Polls like the list, so a resolve shows up without a reload.
 */

import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AckForm } from './ack-form';
import { lastAlertsHash, sourceOf } from './alerts';
import { get, seg } from './api';
import { age, inUnit, iso, titleOf, valueText } from './format';
import { usePoll } from './poll';
import { matchersOf, SilenceForm } from './silence-form';
import type { Alert, AlertHistory, HistoryEntry } from './types';
import { Ago, Chips, Fact, Freshness, Notice, Pill, SeverityBadge, StatusBadge } from './widgets';

const POLL_MS = 3_000;

export function AlertTimeline({ fp, user }: { fp: string; user: string }) {
  const poll = usePoll(() => get<AlertHistory>(`/v1/alerts/${seg(fp)}/history`), POLL_MS);
  const [panel, setPanel] = useState<'ack' | 'silence'>();
  const [notice, setNotice] = useState<ComponentChildren>();

  const alert = poll.data?.alert;
  const history = poll.data?.history ?? [];
  const name = alert?.name ?? history[0]?.name;

  useEffect(() => {
    document.title = `${name ?? 'Alert'} · Klaxon`;
  }, [name]);

  const back = (
    <a class="back" href={lastAlertsHash}>
      ← Alerts
    </a>
  );

  if (poll.data === undefined) {
    return (
      <>
        {back}
        <h1>{poll.error?.status === 404 ? 'Alert not found' : 'Alert'}</h1>
        {poll.error?.status === 404 ? (
          <p class="empty">Klaxon knows no alert with the fingerprint {fp}, nor any history of one.</p>
        ) : (
          <Freshness poll={poll} />
        )}
      </>
    );
  }

  const open = (p: 'ack' | 'silence') => {
    setPanel(p);
    setNotice(undefined);
  };

  return (
    <>
      {back}
      <div class="page-head">
        <h1>{name}</h1>
        <Freshness poll={poll} />
      </div>

      {alert ? (
        <AlertDetails alert={alert} />
      ) : (
        <p class="banner">This alert is no longer kept (it resolved a while ago); its history follows.</p>
      )}

      {notice}
      {alert && (
        <div class="actions">
          {panel !== 'ack' && alert.status !== 'resolved' && !alert.acknowledged && (
            <button type="button" class="btn btn-primary" onClick={() => open('ack')}>
              Acknowledge
            </button>
          )}
          {panel !== 'silence' && (
            <button type="button" class="btn" onClick={() => open('silence')}>
              Silence
            </button>
          )}
        </div>
      )}
      {alert && panel === 'ack' && (
        <AckForm
          fp={fp}
          onCancel={() => setPanel(undefined)}
          onDone={() => {
            setPanel(undefined);
            setNotice(<Notice>Acknowledgement sent</Notice>);
            poll.refresh();
          }}
        />
      )}
      {alert && panel === 'silence' && (
        <section class="card panel">
          <h2>Silence</h2>
          <SilenceForm
            matchers={matchersOf(alert)}
            createdBy={user}
            onCancel={() => setPanel(undefined)}
            onCreated={(id) => {
              setPanel(undefined);
              setNotice(
                <Notice>
                  Silence <a href="#/silences">{id}</a> created
                </Notice>,
              );
              poll.refresh();
            }}
          />
        </section>
      )}

      <section>
        <h2>Timeline</h2>
        {history.length === 0 ? (
          <p class="empty">Nothing recorded yet.</p>
        ) : (
          <ol class="timeline">
            {history.map((h, i) => (
              <TimelineEntry key={`${h.t}-${i}`} entry={h} unit={alert?.unit} />
            ))}
          </ol>
        )}
      </section>
    </>
  );
}

function AlertDetails({ alert: a }: { alert: Alert }) {
  const title = titleOf(a);
  const { title: _t, summary: _s, description, ...otherAnnotations } = a.annotations;
  const now = Date.now();
  return (
    <section class={`card details sev-edge-${a.severity}`}>
      <div class="details-head">
        <SeverityBadge severity={a.severity} />
        <StatusBadge status={a.status} />
        {a.flapping && <span class="tag tag-flap">flapping</span>}
        {a.silencedBy && (
          <a class="tag tag-silenced" href="#/silences" title={a.silencedBy.join(', ')}>
            silenced
          </a>
        )}
        {a.acknowledged && (
          <span class="tag tag-ack" title={iso(a.acknowledged.at)}>
            acknowledged by {a.acknowledged.by}
            {a.acknowledged.until !== undefined && `, lapses ${age(a.acknowledged.until, now)}`}
          </span>
        )}
      </div>
      {title && <p class="details-title">{title}</p>}
      {a.annotations.summary && a.annotations.title && <p>{a.annotations.summary}</p>}
      {description && <p class="description">{description}</p>}
      {a.acknowledged?.comment && <blockquote class="quote">“{a.acknowledged.comment}”</blockquote>}

      <Chips labels={a.labels} />

      <dl class="facts">
        {a.value !== undefined && <Fact name="Value">{valueText(a)}</Fact>}
        <Fact name="Started">
          <Ago t={a.startsAt} />
        </Fact>
        {a.firingAt !== undefined && (
          <Fact name="Firing since">
            <Ago t={a.firingAt} />
          </Fact>
        )}
        <Fact name="Last seen">
          <Ago t={a.lastSeenAt} />
        </Fact>
        {a.status === 'resolved' && a.endsAt !== undefined && (
          <Fact name="Resolved">
            <Ago t={a.endsAt} />
          </Fact>
        )}
        <Fact name="Occurrences">{a.occurrences}</Fact>
        <Fact name="Told">{a.notified.length > 0 ? a.notified.join(', ') : 'nobody yet'}</Fact>
        {sourceOf(a) && <Fact name="Source">{sourceOf(a)}</Fact>}
        {a.rule && <Fact name="Rule">{a.rule}</Fact>}
        {Object.entries(otherAnnotations).map(([k, v]) => (
          <Fact key={k} name={k}>
            <MaybeLink text={v} />
          </Fact>
        ))}
        <Fact name="Fingerprint">
          <code>{a.fingerprint}</code>
        </Fact>
      </dl>
      {a.links && a.links.length > 0 && (
        <p class="links">
          {a.links.map((l) => (
            <MaybeLink key={l.href} text={l.href} label={l.text} />
          ))}
        </p>
      )}
    </section>
  );
}

/** A web address as a link (opened apart, no referrer); anything else as text. */
function MaybeLink({ text, label }: { text: string; label?: string }) {
  if (!/^https?:\/\//i.test(text)) return <>{label ?? text}</>;
  return (
    <a href={text} target="_blank" rel="noopener noreferrer">
      {label ?? text}
    </a>
  );
}

const DELIVERY: Record<string, { tone: 'ok' | 'bad' | 'neutral'; text: string }> = {
  sent: { tone: 'ok', text: 'sent' },
  dead: { tone: 'bad', text: 'failed' },
  pending: { tone: 'neutral', text: 'pending' },
};

const HOLDS: Record<string, string> = {
  inhibited: 'held: inhibited by a more severe alert',
  dedup: 'held: too many notifications (dedup)',
};

/** What one history entry says, in words. */
function describe(h: HistoryEntry): ComponentChildren {
  switch (h.type) {
    case 'transition':
      return (
        <>
          became <StatusBadge status={h.status ?? 'unknown'} />
          {h.quiet && <span class="muted"> (expired without being told)</span>}
        </>
      );
    case 'notification': {
      const d = h.delivery ? DELIVERY[h.delivery] : undefined;
      return (
        <>
          told <strong>{h.receiver ?? 'a receiver'}</strong>: {h.kind ?? 'notification'}
          {h.from && <span class="muted"> (was {h.from})</span>} {d && <Pill tone={d.tone}>{d.text}</Pill>}
        </>
      );
    }
    case 'held':
      if (h.hold === 'silence')
        return (
          <>
            held: silenced by{' '}
            {(h.silences ?? []).length === 0
              ? 'a silence'
              : (h.silences ?? []).map((id, i) => (
                  <span key={id}>
                    {i > 0 && ', '}
                    <a href="#/silences">{id}</a>
                  </span>
                ))}
          </>
        );
      return HOLDS[h.hold ?? ''] ?? `held: ${h.hold ?? 'unknown'}`;
    case 'acknowledged':
      return (
        <>
          acknowledged by <strong>{h.by ?? 'someone'}</strong>
          {h.via && <span class="muted"> via {h.via}</span>}
          {h.comment && <span class="quote-inline"> “{h.comment}”</span>}
        </>
      );
    default:
      return h.type;
  }
}

function TimelineEntry({ entry: h, unit }: { entry: HistoryEntry; unit: Alert['unit'] }) {
  return (
    <li class={`event event-${h.type}`} data-type={h.type}>
      <span class="event-time">
        <Ago t={h.t} />
      </span>
      <span class="event-text">
        {describe(h)}
        {h.value !== undefined && h.type === 'transition' && (
          <span class="muted"> · value {inUnit(h.value, unit)}</span>
        )}
      </span>
    </li>
  );
}
