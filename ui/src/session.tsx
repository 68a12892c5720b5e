/**
 * The session: the server keeps it in an HttpOnly cookie; the page holds only the user's name
 * and the CSRF token, in memory. The admin token typed at login goes to the server once and is
 * not kept anywhere.
 */

import type { TargetedSubmitEvent } from 'preact';
import { useState } from 'preact/hooks';
import { ApiError, get, messageOf, post, setCsrf } from './api';
import type { Session } from './types';
import { ErrorText, Field } from './widgets';

/** The session the cookie holds, or null when there is none (401). */
export async function loadSession(): Promise<Session | null> {
  try {
    const s = await get<Session>('/ui/session', { noExpiry: true });
    setCsrf(s.csrf);
    return s;
  } catch (err) {
    if (err instanceof ApiError && err.status === 401) return null;
    throw err;
  }
}

/** Ends the session on the server (a session already over is fine too). */
export async function logout(): Promise<void> {
  try {
    await post('/ui/logout', {}, { noExpiry: true, accept: [401] });
  } finally {
    setCsrf(undefined);
  }
}

export function LoginForm({ notice, onLogin }: { notice?: string; onLogin: (s: Session) => void }) {
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();

  const submit = async (e: TargetedSubmitEvent<HTMLFormElement>) => {
    e.preventDefault();
    const form = e.currentTarget;
    const token = String(new FormData(form).get('token') ?? '');
    form.reset();
    if (token === '') {
      setError('Enter the admin token.');
      return;
    }
    setBusy(true);
    setError(undefined);
    try {
      const s = await post<Session>('/ui/login', { token }, { noExpiry: true });
      setCsrf(s.csrf);
      onLogin(s);
    } catch (err) {
      setError(messageOf(err));
      setBusy(false);
    }
  };

  return (
    <main class="login">
      <form class="card login-card" onSubmit={submit}>
        <h1>Klaxon</h1>
        <p class="muted">Log in with an admin token to see and handle alerts.</p>
        {notice && !error && <p class="notice">{notice}</p>}
        <Field label="Admin token">
          <input type="password" name="token" autocomplete="off" spellcheck={false} />
        </Field>
        <ErrorText message={error} />
        <button type="submit" class="btn btn-primary" disabled={busy}>
          Log in
        </button>
      </form>
    </main>
  );
}
