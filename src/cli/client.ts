/**
 * The operator commands' HTTP client for a running Klaxon (Node's fetch). Where and as whom:
 * `--url` / `KLAXON_URL` and `--token` / `KLAXON_TOKEN`. The token goes into the Authorization
 * header and nowhere else: no message of the CLI ever shows it.
 */
import { CliError, UsageError } from './command.js';
import { printable } from './format.js';

export const DEFAULT_URL = 'http://127.0.0.1:8080';
/** How long one request may take before the command gives up. */
const REQUEST_TIMEOUT = 30_000;

/** The options every operator command takes (node:util parseArgs). */
export const CONNECTION_OPTIONS = {
  url: { type: 'string' },
  token: { type: 'string' },
} as const;

export const CONNECTION_HELP = `  --url URL                   Klaxon's address (default: $KLAXON_URL, else ${DEFAULT_URL})
  --token TOKEN               a token with admin: true (default: $KLAXON_TOKEN; prefer the
                              variable: a command line is visible to other users of the machine)`;

/** A field the server named in a 400 answer. */
export interface FieldError {
  path: string;
  message: string;
}

/** The server answered with an error: status, its code, message and the fields it named. */
export class ApiError extends CliError {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly fields: FieldError[] = [],
  ) {
    super(message);
  }
}

export class KlaxonClient {
  private readonly base: string;

  constructor(
    url: string,
    private readonly token: string | undefined,
  ) {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new UsageError(`--url ${JSON.stringify(printable(url))} is not a URL such as ${DEFAULT_URL}`);
    }
    if (u.protocol !== 'http:' && u.protocol !== 'https:')
      throw new UsageError(`--url must be an http:// or https:// URL`);
    if (u.username || u.password)
      throw new UsageError('--url must not hold credentials: give the token with --token or KLAXON_TOKEN');
    if (u.search || u.hash) throw new UsageError('--url takes no query or fragment');
    this.base = u.href.replace(/\/+$/, '');
  }

  /** From the command's `--url`/`--token`, else the environment. */
  static from(values: { url?: string; token?: string }, env: NodeJS.ProcessEnv = process.env): KlaxonClient {
    const url = values.url ?? (env.KLAXON_URL || DEFAULT_URL);
    const token = values.token ?? (env.KLAXON_TOKEN || undefined);
    return new KlaxonClient(url, token);
  }

  /** Where requests go (for messages; it never holds credentials). */
  get url(): string {
    return this.base;
  }

  get<T>(path: string): Promise<T> {
    return this.request<T>('GET', path);
  }
  post<T>(path: string, body: unknown): Promise<T> {
    return this.request<T>('POST', path, body);
  }
  delete<T>(path: string): Promise<T> {
    return this.request<T>('DELETE', path);
  }

  private async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const headers: Record<string, string> = { accept: 'application/json' };
    if (this.token) headers.authorization = `Bearer ${this.token}`;
    if (body !== undefined) headers['content-type'] = 'application/json';
    let res: Response;
    try {
      res = await fetch(this.base + path, {
        method,
        headers,
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT),
        redirect: 'manual',
      });
    } catch (err) {
      throw new CliError(this.unreachable(err));
    }
    const text = await res.text().catch(() => '');
    if (res.ok) {
      try {
        return JSON.parse(text) as T;
      } catch {
        throw new CliError(
          `${this.base} answered ${res.status} with something that is not JSON: is it Klaxon?`,
        );
      }
    }
    throw this.refusal(res.status, text);
  }

  /** Why a request got no answer, in words (never with the token). */
  private unreachable(err: unknown): string {
    const e = err as Error & { cause?: { code?: string; message?: string } };
    if (e.name === 'TimeoutError' || e.name === 'AbortError')
      return `no answer from Klaxon at ${this.base} within ${REQUEST_TIMEOUT / 1000}s`;
    const code = e.cause?.code;
    const why =
      code === 'ECONNREFUSED'
        ? 'connection refused (is it running there?)'
        : code === 'ENOTFOUND' || code === 'EAI_AGAIN'
          ? 'no such host'
          : (code ?? e.cause?.message ?? e.message);
    return `cannot reach Klaxon at ${this.base}: ${printable(why)}; set --url or KLAXON_URL`;
  }

  /** The server's error answer as an ApiError: its message, the fields it named, a hint. */
  private refusal(status: number, text: string): ApiError {
    let body: { error?: unknown; message?: unknown; errors?: unknown } | undefined;
    try {
      body = JSON.parse(text) as typeof body;
    } catch {
      body = undefined;
    }
    const code = typeof body?.error === 'string' ? body.error : `http_${status}`;
    const fields = Array.isArray(body?.errors)
      ? (body.errors as unknown[]).filter(
          (f): f is FieldError =>
            typeof (f as FieldError)?.path === 'string' && typeof (f as FieldError)?.message === 'string',
        )
      : [];
    let message =
      typeof body?.message === 'string'
        ? body.message
        : `${this.base} answered HTTP ${status}${text ? `: ${text.slice(0, 200)}` : ''}`;
    // The summary names at most a few fields: the others follow.
    const unnamed = fields.filter((f) => !message.includes(`${f.path}: ${f.message}`));
    if (unnamed.length > 0)
      message += `; ${unnamed.map((f) => `${f.path || '(body)'}: ${f.message}`).join('; ')}`;
    if (status === 401) message += ' (give an admin token with --token or KLAXON_TOKEN)';
    return new ApiError(status, code, `${status} ${code}: ${printable(message)}`, fields);
  }
}
