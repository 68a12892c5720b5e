/**
 * Small pieces every page uses: times, badges, label chips, facts, the refresh indicator, errors,
 * form fields.
 */

import type { ComponentChildren } from 'preact';
import { age, iso } from './format';
import type { Polled } from './poll';

/** A relative time (`3 min ago`) with the exact time on hover. */
export function Ago({ t, never = 'never' }: { t: number | undefined; never?: string }) {
  if (t === undefined || !Number.isFinite(t)) return <span class="muted">{never}</span>;
  return (
    <time dateTime={iso(t)} title={iso(t)}>
      {age(t)}
    </time>
  );
}

/** A severity, in its colour and in words. */
export function SeverityBadge({ severity }: { severity: string }) {
  return <span class={`badge sev-${severity}`}>{severity}</span>;
}

export function StatusBadge({ status }: { status: string }) {
  return <span class={`badge status-${status}`}>{status}</span>;
}

/** Any state word in one of four tones. */
export function Pill({
  tone,
  children,
}: {
  tone: 'ok' | 'warn' | 'bad' | 'neutral';
  children: ComponentChildren;
}) {
  return <span class={`pill tone-${tone}`}>{children}</span>;
}

export function Chips({ labels }: { labels: Record<string, string> }) {
  const entries = Object.entries(labels);
  if (entries.length === 0) return <span class="muted">none</span>;
  return (
    <ul class="chips">
      {entries.map(([k, v]) => (
        <li key={k} class="chip">
          <span class="chip-k">{k}</span>=<span class="chip-v">{v}</span>
        </li>
      ))}
    </ul>
  );
}

/** When the page's data was loaded, and a banner when the latest refresh failed. */
export function Freshness({ poll }: { poll: Pick<Polled<unknown>, 'updatedAt' | 'error'> }) {
  return (
    <>
      <p class={`live${poll.error ? ' live-stale' : ''}`}>
        <span class="live-dot" aria-hidden="true" />
        {poll.updatedAt === undefined ? (
          poll.error ? (
            'Not loaded'
          ) : (
            'Loading…'
          )
        ) : (
          <>
            Updated <Ago t={poll.updatedAt} />
          </>
        )}
      </p>
      {poll.error && (
        <div role="alert" class="banner banner-error">
          Refresh failed: {poll.error.message.replace(/\.$/, '')}.
          {poll.updatedAt !== undefined && ' Showing the data loaded before.'}
        </div>
      )}
    </>
  );
}

/** An error of an action (a form's submit, a button), for screen readers too. */
export function ErrorText({ message }: { message: string | undefined }) {
  if (!message) return null;
  return (
    <p role="alert" class="error-text">
      {message}
    </p>
  );
}

/** A confirmation of an action that worked. */
export function Notice({ children }: { children: ComponentChildren }) {
  return (
    <p role="status" class="notice">
      {children}
    </p>
  );
}

/** A labelled input (the input is the child), with the server's complaint about it underneath. */
export function Field(props: { label: string; error?: string; grow?: boolean; children: ComponentChildren }) {
  return (
    <div class={`field${props.grow ? ' field-grow' : ''}`}>
      <label>
        <span class="field-label">{props.label}</span>
        {props.children}
      </label>
      {props.error && <span class="field-error">{props.error}</span>}
    </div>
  );
}

/** One `<option>` per value, the value as its text. */
export function Options({ values }: { values: readonly string[] }) {
  return (
    <>
      {values.map((v) => (
        <option key={v} value={v}>
          {v}
        </option>
      ))}
    </>
  );
}

/** One name and value of a `<dl class="facts">`. */
export function Fact(props: { name: string; class?: string; children: ComponentChildren }) {
  return (
    <div class="fact">
      <dt>{props.name}</dt>
      <dd class={props.class}>{props.children}</dd>
    </div>
  );
}
