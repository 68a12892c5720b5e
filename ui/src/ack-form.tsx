/** The "Acknowledge" form of an alert: an optional comment and how long it holds. */

import type { TargetedSubmitEvent } from 'preact';
import { useState } from 'preact/hooks';
import { messageOf, post, seg } from './api';
import { ErrorText, Field, Options } from './widgets';

const EXPIRIES = ['1h', '4h', '12h', '24h'];

export function AckForm(props: { fp: string; onDone: () => void; onCancel: () => void }) {
  const [comment, setComment] = useState('');
  const [expires, setExpires] = useState('none');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    setBusy(true);
    setError(undefined);
    const body: { comment?: string; expires?: string } = {};
    if (comment.trim()) body.comment = comment.trim();
    if (expires !== 'none') body.expires = expires;
    try {
      await post(`/v1/alerts/${seg(props.fp)}/ack`, body);
      props.onDone();
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <form class="card panel" onSubmit={submit}>
      <h2>Acknowledge</h2>
      <div class="form-row">
        <Field label="Comment" grow>
          <input
            type="text"
            value={comment}
            maxLength={1024}
            placeholder="looking into it"
            onInput={(e) => setComment(e.currentTarget.value)}
          />
        </Field>
        <Field label="Duration">
          <select value={expires} onChange={(e) => setExpires(e.currentTarget.value)}>
            <option value="none">None</option>
            <Options values={EXPIRIES} />
          </select>
        </Field>
      </div>
      <ErrorText message={error} />
      <div class="actions">
        <button type="submit" class="btn btn-primary" disabled={busy}>
          Acknowledge
        </button>
        <button type="button" class="btn" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
    </form>
  );
}
