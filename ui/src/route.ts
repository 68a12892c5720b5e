/**
 * Hash routing: the server serves only /ui/, so the page lives in the fragment.
 *
 *   #/alerts[?filters]   #/alerts/<fingerprint>   #/silences   #/sources   #/health
 */

import { useEffect, useState } from 'preact/hooks';

export type Page = 'alerts' | 'alert' | 'silences' | 'sources' | 'health';

export interface Route {
  page: Page;
  /** The fingerprint of `#/alerts/<fp>`. */
  id?: string;
  query: URLSearchParams;
}

export function parseHash(hash: string): Route {
  const s = hash.replace(/^#/, '');
  const at = s.indexOf('?');
  const path = at < 0 ? s : s.slice(0, at);
  const query = new URLSearchParams(at < 0 ? '' : s.slice(at + 1));
  const [first, second] = path.split('/').filter((p) => p !== '');
  if (first === 'alerts' && second !== undefined) return { page: 'alert', id: decodeSegment(second), query };
  if (first === 'silences' || first === 'sources' || first === 'health') return { page: first, query };
  return { page: 'alerts', query };
}

function decodeSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** The current route, following the hash. */
export function useRoute(): Route {
  const [hash, setHash] = useState(location.hash);
  useEffect(() => {
    const update = () => setHash(location.hash);
    addEventListener('hashchange', update);
    addEventListener(REPLACED, update);
    return () => {
      removeEventListener('hashchange', update);
      removeEventListener(REPLACED, update);
    };
  }, []);
  return parseHash(hash);
}

const REPLACED = 'klaxon:hashreplaced';

/**
 * Replaces the hash without a history entry (filters typed letter by letter should not fill the
 * back button). `replaceState` fires no hashchange, so tell useRoute ourselves.
 */
export function replaceHash(hash: string): void {
  if (location.hash === hash) return;
  history.replaceState(history.state, '', hash);
  dispatchEvent(new Event(REPLACED));
}

/** `#/alerts?severity=critical&q=btc`, leaving out empty values. */
export function hashOf(path: string, params: Record<string, string | undefined> = {}): string {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v) q.set(k, v);
  const s = q.toString();
  return `#${path}${s ? `?${s}` : ''}`;
}

export const alertHref = (fp: string): string => `#/alerts/${encodeURIComponent(fp)}`;
