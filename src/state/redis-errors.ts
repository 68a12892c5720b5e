/** Socket errors that mean Redis cannot be reached (refused, reset, timed out, no route, no name). */
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTCONN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/** What ioredis and BullMQ say when a command cannot reach Redis, or Redis did not answer in time. */
const UNAVAILABLE_MESSAGE =
  /^(Connection is closed\.?|Stream isn't writeable and enableOfflineQueue options is false|connect ETIMEDOUT|Command timed out|Socket timeout\b.*|None of startup nodes is available|Cluster isn't ready and enableOfflineQueue options is false|Cluster is (disconnected|disconnecting|ended)\.?)$/;

/**
 * Redis replies that mean "not now": loading its data set, a script running, no master yet, a
 * replica during a failover, out of memory (`maxmemory` with `noeviction`), or unable to persist.
 * Redis cannot take the request; Klaxon did nothing wrong, and the client should retry.
 */
const UNAVAILABLE_REPLY = /^(LOADING|BUSY|MASTERDOWN|TRYAGAIN|CLUSTERDOWN|READONLY|OOM|MISCONF)\b/;

/**
 * True when `err` means that Redis is unreachable, too slow or cannot take writes now (a
 * connection error, ioredis's `MaxRetriesPerRequestError`, a closed connection, a timeout, Redis
 * loading or out of memory), so the client should try again later (503). Anything else (a bug of
 * ours, a batch that cannot be serialised, a script error, a wrong type) is false: a 500, never
 * blamed on Redis. Causes are looked at too. Shared by the ingest queue and the admin routes.
 */
export function isRedisUnavailable(err: unknown): boolean {
  for (let e = err, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    if (
      e.name === 'MaxRetriesPerRequestError' ||
      e.name === 'ConnectionClosedError' ||
      e.name === 'QueueUnavailableError'
    )
      return true;
    const code = (e as NodeJS.ErrnoException).code;
    if (typeof code === 'string' && NETWORK_CODES.has(code)) return true;
    if (UNAVAILABLE_MESSAGE.test(e.message) || UNAVAILABLE_REPLY.test(e.message)) return true;
    if (e instanceof AggregateError && e.errors.length > 0 && e.errors.every((x) => isRedisUnavailable(x)))
      return true;
  }
  return false;
}

/** A pipelined command's reply, or its error thrown (an error of the whole read). */
export function unwrap<T>(r: [Error | null, unknown] | undefined): T {
  if (!r) throw new Error('Redis gave no reply to a pipelined command');
  if (r[0]) throw r[0];
  return r[1] as T;
}
