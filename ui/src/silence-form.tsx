/**
 * The form that creates a silence, on an alert's page (one matcher per label of the alert) and on
 * #/silences (one empty matcher). The server checks everything; its field errors
 * (`matchers[1].value`, `duration`, ...) are shown next to the fields they name.
 */

import type { TargetedSubmitEvent } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, messageOf, post, type FieldError } from './api';
import type { Matcher, MatcherOp } from './types';
import { ErrorText, Field, Options } from './widgets';

const OPS: MatcherOp[] = ['=', '!=', '=~', '!~'];
const DURATIONS = ['1h', '2h', '4h', '8h', '24h'];
const CUSTOM = 'custom';

interface Row extends Matcher {
  /** Keeps a row's inputs when an earlier row is removed. */
  key: number;
}

let nextKey = 1;
const rowOf = (m: Matcher): Row => ({ ...m, key: nextKey++ });

/** The matchers that select exactly this alert: its name and each of its labels. */
export function matchersOf(alert: { name: string; labels: Record<string, string> }): Matcher[] {
  const labels = Object.entries(alert.labels).map(([name, value]) => ({ name, value, op: '=' as const }));
  return 'alertname' in alert.labels
    ? labels
    : [{ name: 'alertname', value: alert.name, op: '=' }, ...labels];
}

export function SilenceForm(props: {
  matchers: Matcher[];
  createdBy: string;
  onCreated: (id: string) => void;
  onCancel?: () => void;
}) {
  const [rows, setRows] = useState<Row[]>(() => props.matchers.map(rowOf));
  const [preset, setPreset] = useState('2h');
  const [custom, setCustom] = useState('');
  const [comment, setComment] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [fieldErrors, setFieldErrors] = useState<FieldError[]>([]);

  const errorAt = (...paths: string[]) =>
    fieldErrors
      .filter((e) => paths.includes(e.path))
      .map((e) => e.message)
      .join('; ') || undefined;

  const change = (key: number, part: Partial<Matcher>) =>
    setRows((rs) => rs.map((r) => (r.key === key ? { ...r, ...part } : r)));

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    setFieldErrors([]);
    const body = {
      matchers: rows.map(({ name, value, op }) => ({ name: name.trim(), value, op })),
      duration: preset === CUSTOM ? custom.trim() : preset,
      createdBy: props.createdBy,
      comment: comment.trim(),
    };
    try {
      const r = await post<{ id: string }>('/v1/silences', body);
      setRows([rowOf({ name: '', value: '', op: '=' })]);
      setComment('');
      props.onCreated(r.id);
    } catch (err) {
      setError(messageOf(err));
      if (err instanceof ApiError) setFieldErrors(err.errors);
    } finally {
      setBusy(false);
    }
  };

  return (
    <form class="silence-form" onSubmit={submit} noValidate>
      <fieldset class="matchers">
        <legend>Matchers</legend>
        {rows.map((r, i) => (
          <MatcherRow
            key={r.key}
            row={r}
            n={i + 1}
            errors={{
              name: errorAt(`matchers[${i}].name`),
              op: errorAt(`matchers[${i}].op`),
              value: errorAt(`matchers[${i}].value`, `matchers[${i}]`),
            }}
            onChange={(part) => change(r.key, part)}
            onRemove={() => setRows((rs) => rs.filter((x) => x.key !== r.key))}
          />
        ))}
        <FieldErrorText message={errorAt('matchers')} />
        <button
          type="button"
          class="btn btn-quiet"
          onClick={() => setRows((rs) => [...rs, rowOf({ name: '', value: '', op: '=' })])}
        >
          Add matcher
        </button>
      </fieldset>

      <div class="form-row">
        <Field
          label="Duration"
          error={preset === CUSTOM ? undefined : errorAt('duration', 'endsAt', 'startsAt')}
        >
          <select value={preset} onChange={(e) => setPreset(e.currentTarget.value)}>
            <Options values={DURATIONS} />
            <option value={CUSTOM}>custom</option>
          </select>
        </Field>
        {preset === CUSTOM && (
          <Field label="Custom duration" error={errorAt('duration', 'endsAt', 'startsAt')}>
            <input
              type="text"
              value={custom}
              placeholder="90m"
              aria-invalid={errorAt('duration', 'endsAt') ? true : undefined}
              onInput={(e) => setCustom(e.currentTarget.value)}
            />
          </Field>
        )}
      </div>

      <Field label="Comment" error={errorAt('comment')}>
        <input
          type="text"
          value={comment}
          maxLength={1024}
          placeholder="why, e.g. broker maintenance"
          aria-invalid={errorAt('comment') ? true : undefined}
          onInput={(e) => setComment(e.currentTarget.value)}
        />
      </Field>

      <p class="muted">
        Created by <strong>{props.createdBy}</strong>
      </p>
      <FieldErrorText message={errorAt('createdBy')} />

      <ErrorText message={error} />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          Create silence
        </button>
        {props.onCancel && (
          <button type="button" class="btn" onClick={props.onCancel}>
            Cancel
          </button>
        )}
      </div>
    </form>
  );
}

function MatcherRow(props: {
  row: Row;
  n: number;
  errors: { name?: string; op?: string; value?: string };
  onChange: (part: Partial<Matcher>) => void;
  onRemove: () => void;
}) {
  const { row, n, errors } = props;
  return (
    <div class="matcher">
      <div class="matcher-fields">
        <Field label={`Label ${n}`} error={errors.name}>
          <input
            type="text"
            value={row.name}
            placeholder="source"
            aria-invalid={errors.name ? true : undefined}
            onInput={(e) => props.onChange({ name: e.currentTarget.value })}
          />
        </Field>
        <Field label={`Match ${n}`} error={errors.op}>
          <select value={row.op} onChange={(e) => props.onChange({ op: e.currentTarget.value as MatcherOp })}>
            <Options values={OPS} />
          </select>
        </Field>
        <Field label={`Value ${n}`} error={errors.value} grow>
          <input
            type="text"
            value={row.value}
            aria-invalid={errors.value ? true : undefined}
            onInput={(e) => props.onChange({ value: e.currentTarget.value })}
          />
        </Field>
      </div>
      <button
        type="button"
        class="btn btn-quiet btn-remove"
        aria-label={`Remove matcher ${n}`}
        title="Remove this matcher"
        onClick={props.onRemove}
      >
        Remove
      </button>
    </div>
  );
}

function FieldErrorText({ message }: { message: string | undefined }) {
  return message ? <span class="field-error">{message}</span> : null;
}
