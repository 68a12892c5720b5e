/**
 * Klaxon's web console: the entry point. It checks the session, shows the login form or the
 * console (top bar and the page the hash names), and goes back to the login form whenever the
 * API answers 401.
 */

import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { AlertTimeline } from './alert-timeline';
import { AlertsPage } from './alerts';
import { messageOf, onSessionExpired } from './api';
import { HealthPage } from './health';
import { useRoute, type Page } from './route';
import { loadSession, LoginForm, logout } from './session';
import { SilencesPage } from './silences';
import { SourcesPage } from './sources';
import type { Session } from './types';

const SECTIONS: { page: Page; href: string; text: string }[] = [
  { page: 'alerts', href: '#/alerts', text: 'Alerts' },
  { page: 'silences', href: '#/silences', text: 'Silences' },
  { page: 'sources', href: '#/sources', text: 'Sources' },
  { page: 'health', href: '#/health', text: 'Health' },
];

/** What the page shows before, without and with a session. */
type Auth =
  | { state: 'checking' }
  | { state: 'failed'; error: string }
  | { state: 'out'; notice?: string }
  | { state: 'in'; session: Session };

function App() {
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });

  const check = () => {
    setAuth({ state: 'checking' });
    loadSession().then(
      (session) => setAuth(session ? { state: 'in', session } : { state: 'out' }),
      (err: unknown) => setAuth({ state: 'failed', error: messageOf(err) }),
    );
  };

  useEffect(() => {
    onSessionExpired(() => setAuth({ state: 'out', notice: 'Your session has ended. Log in again.' }));
    check();
  }, []);

  switch (auth.state) {
    case 'checking':
      return <p class="loading">Loading…</p>;
    case 'failed':
      return (
        <main class="login">
          <div class="card login-card">
            <h1>Klaxon</h1>
            <p role="alert" class="error-text">
              Could not reach Klaxon: {auth.error}
            </p>
            <button type="button" class="btn btn-primary" onClick={check}>
              Try again
            </button>
          </div>
        </main>
      );
    case 'out':
      return <LoginForm notice={auth.notice} onLogin={(session) => setAuth({ state: 'in', session })} />;
    case 'in':
      return (
        <Console
          session={auth.session}
          onLogout={(notice) => setAuth({ state: 'out', ...(notice ? { notice } : {}) })}
        />
      );
  }
}

function Console({ session, onLogout }: { session: Session; onLogout: (notice?: string) => void }) {
  const route = useRoute();
  const section = route.page === 'alert' ? 'alerts' : route.page;

  useEffect(() => {
    if (route.page !== 'alert') {
      const text = SECTIONS.find((s) => s.page === section)?.text ?? '';
      document.title = `${text} · Klaxon`;
    }
  }, [route.page, section]);

  const logOut = () => {
    logout().then(
      () => onLogout(),
      (err: unknown) => onLogout(`Logging out may not have finished: ${messageOf(err)}`),
    );
  };

  return (
    <>
      <header class="topbar">
        <a class="brand" href="#/alerts">
          Klaxon
        </a>
        <nav class="nav" aria-label="Sections">
          {SECTIONS.map((s) => (
            <a key={s.page} href={s.href} aria-current={s.page === section ? 'page' : undefined}>
              {s.text}
            </a>
          ))}
        </nav>
        <div class="user">
          <span class="user-name" title="Logged in as">
            {session.name}
          </span>
          <button type="button" class="btn btn-small" onClick={logOut}>
            Log out
          </button>
        </div>
      </header>
      <main class="page">
        {route.page === 'alerts' && <AlertsPage query={route.query} />}
        {route.page === 'alert' && route.id !== undefined && (
          <AlertTimeline key={route.id} fp={route.id} user={session.name} />
        )}
        {route.page === 'silences' && <SilencesPage user={session.name} />}
        {route.page === 'sources' && <SourcesPage />}
        {route.page === 'health' && <HealthPage />}
      </main>
    </>
  );
}

const root = document.getElementById('app');
if (root) render(<App />, root);
