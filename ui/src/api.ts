/**
 * The one way the console talks to Klaxon: same-origin JSON over fetch, with the session cookie.
 *
 * - Non-GET requests carry the CSRF token the session gave (kept in memory only) and a JSON body.
 * - A 401 anywhere (other than a failed login) means the session is over: the handler set with
 *   `onSessionExpired` takes the page back to the login form.
 * - Any other answer outside 2xx becomes an `ApiError` with the server's `message` and field
 *   `errors`, so forms can show them next to their fields.
 */

export interface FieldError {
  path: string;
  message: string;
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly errors: FieldError[] = [],
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

let csrf: string | undefined;
let expired: () => void = () => {};

/** Keeps the session's CSRF token for later requests (undefined once logged out). */
export function setCsrf(token: string | undefined): void {
  csrf = token;
}

export function onSessionExpired(handler: () => void): void {
  expired = handler;
}

export interface RequestOptions {
  body?: unknown;
  /** Statuses besides 2xx whose body is an answer, not an error (`/health` answers 503 when down). */
  accept?: number[];
  /** A 401 is an answer of this request (a wrong token at login), not a lapsed session. */
  noExpiry?: boolean;
}

export async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (method !== 'GET') {
    headers['content-type'] = 'application/json';
    if (csrf) headers['x-klaxon-csrf'] = csrf;
  }
  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      credentials: 'same-origin',
      cache: 'no-store',
      body: method === 'GET' ? undefined : JSON.stringify(opts.body ?? {}),
    });
  } catch {
    throw new ApiError(0, 'network', 'Klaxon could not be reached (network error)');
  }
  const body = await readJson(res);
  if (res.ok || opts.accept?.includes(res.status)) return body as T;
  if (res.status === 401 && !opts.noExpiry) {
    csrf = undefined;
    expired();
  }
  throw errorOf(res, body);
}

export const get = <T>(path: string, opts?: RequestOptions): Promise<T> => request<T>('GET', path, opts);
export const post = <T>(path: string, body?: unknown, opts?: RequestOptions): Promise<T> =>
  request<T>('POST', path, { ...opts, body });
export const del = <T>(path: string): Promise<T> => request<T>('DELETE', path);

/** A path segment, escaped: `/v1/sources/${seg(name)}/series`. */
export const seg = encodeURIComponent;

async function readJson(res: Response): Promise<unknown> {
  const text = await res.text().catch(() => '');
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorOf(res: Response, body: unknown): ApiError {
  const b = (body ?? {}) as { error?: unknown; message?: unknown; errors?: unknown };
  const message =
    typeof b.message === 'string' && b.message !== ''
      ? b.message
      : `${res.status} ${res.statusText || 'error'}`.trim();
  const errors = Array.isArray(b.errors)
    ? b.errors.filter(
        (e): e is FieldError =>
          typeof e === 'object' && e !== null && typeof e.path === 'string' && typeof e.message === 'string',
      )
    : [];
  return new ApiError(res.status, typeof b.error === 'string' ? b.error : 'error', message, errors);
}

/** The text to show for a failure of any kind. */
export function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
