/**
 * usePoll: load something now and again every `everyMs`, the one refresh loop of every page.
 *
 * - A failed load keeps the data of the last good one and reports the error beside it.
 * - While the tab is hidden nothing is fetched; when it shows again, a load starts at once.
 * - Loads never overlap: the next is scheduled when the previous one ends.
 */

import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, messageOf } from './api';

export interface Polled<T> {
  data?: T;
  /** When `data` was loaded (ms). */
  updatedAt?: number;
  /** Why the latest load failed, while it stays failed. */
  error?: { message: string; status: number };
  /** Loads now (after an action changed what the page shows). */
  refresh: () => void;
  /** Changes the data held until the next load (a row removed after an action). */
  update: (change: (data: T) => T) => void;
}

interface State<T> {
  data?: T;
  updatedAt?: number;
  error?: { message: string; status: number };
}

export function usePoll<T>(load: () => Promise<T>, everyMs: number): Polled<T> {
  const [state, setState] = useState<State<T>>({});
  const loadRef = useRef(load);
  loadRef.current = load;
  const refreshRef = useRef<() => void>(() => {});

  useEffect(() => {
    let alive = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running = false;
    let again = false;

    const run = async (): Promise<void> => {
      clearTimeout(timer);
      timer = undefined;
      if (running) {
        again = true;
        return;
      }
      running = true;
      try {
        const data = await loadRef.current();
        if (alive) setState({ data, updatedAt: Date.now() });
      } catch (err) {
        const error = { message: messageOf(err), status: err instanceof ApiError ? err.status : 0 };
        if (alive) setState((s) => ({ ...s, error }));
      } finally {
        running = false;
      }
      if (!alive) return;
      if (again) {
        again = false;
        void run();
      } else if (!document.hidden) {
        timer = setTimeout(() => void run(), everyMs);
      }
    };

    const onVisibility = (): void => {
      if (document.hidden) {
        clearTimeout(timer);
        timer = undefined;
      } else if (!running) {
        void run();
      }
    };

    refreshRef.current = () => void run();
    document.addEventListener('visibilitychange', onVisibility);
    void run();
    return () => {
      alive = false;
      clearTimeout(timer);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [everyMs]);

  return {
    ...state,
    refresh: () => refreshRef.current(),
    update: (change) => setState((s) => (s.data === undefined ? s : { ...s, data: change(s.data) })),
  };
}
