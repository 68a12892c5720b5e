/**
 * A bot's JSON `/health` answer, turned into events (pure). GPT-Trader's health server answers
 * `{status: healthy|degraded|starting|unhealthy, live, ready, reason, checks, signals}` with HTTP
 * 200 for healthy and degraded and 503 otherwise; other bots answer `{status: ok|pass|fail}` or
 * just a status code. See docs/scrape.md.
 *
 * - `healthy`: a `heartbeat` event;
 * - `degraded`: a `bot_degraded` event (warning), and the heartbeat: the bot is up;
 * - `unhealthy`, or HTTP 503 whatever the body says: a `bot_unhealthy` event (high), and the
 *   heartbeat: the bot answered, so it is not down; `bot_unhealthy` tells what is wrong.
 * Any other status code is a failed scrape: nothing is pushed, as when the bot is silent.
 */
import type { BotEvent } from '../model/batch.js';
import { LIMITS } from '../model/inputs.js';

export type HealthStatus = 'healthy' | 'degraded' | 'unhealthy';

export type HealthVerdict =
  { ok: true; status: HealthStatus; events: BotEvent[] } | { ok: false; reason: string };

const WORDS: Record<string, HealthStatus> = {
  healthy: 'healthy',
  ok: 'healthy',
  pass: 'healthy',
  passing: 'healthy',
  up: 'healthy',
  green: 'healthy',
  degraded: 'degraded',
  warn: 'degraded',
  warning: 'degraded',
  yellow: 'degraded',
  unhealthy: 'unhealthy',
  fail: 'unhealthy',
  failed: 'unhealthy',
  failing: 'unhealthy',
  down: 'unhealthy',
  error: 'unhealthy',
  critical: 'unhealthy',
  red: 'unhealthy',
};

/** The `checks` of a body are passed on whole up to this size (JSON characters), else summarised. */
export const MAX_CHECKS_CHARS = 4096;

export function healthEvents(
  answer: { status: number; body: string },
  target: { name: string; source: string; heartbeat: boolean },
  now: number,
): HealthVerdict {
  const is2xx = answer.status >= 200 && answer.status < 300;
  if (!is2xx && answer.status !== 503) return { ok: false, reason: `HTTP ${answer.status}` };
  let body: Record<string, unknown> = {};
  try {
    const parsed: unknown = JSON.parse(answer.body);
    if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
      body = parsed as Record<string, unknown>;
  } catch {
    // Not JSON: the status code alone tells.
  }
  const word = typeof body.status === 'string' ? body.status.trim().toLowerCase() : undefined;
  let status: HealthStatus;
  if (answer.status === 503) status = 'unhealthy';
  else if (word === undefined) status = 'healthy';
  // A word we do not know (`starting`, `maintenance`) at HTTP 200 is worth a look, not a page.
  else status = WORDS[word] ?? 'degraded';

  const events: BotEvent[] = [];
  const base = { source: target.source, ts: now };
  if (target.heartbeat) events.push({ ...base, type: 'heartbeat', data: { scrape: target.name } });
  if (status !== 'healthy') {
    const data: Record<string, unknown> = {
      scrape: target.name,
      status: word ?? (answer.status === 503 ? 'unhealthy' : status),
      http_status: answer.status,
    };
    if (typeof body.reason === 'string') data.reason = body.reason.slice(0, LIMITS.labelValue);
    const checks = checksOf(body.checks);
    if (checks !== undefined) data.checks = checks;
    events.push({
      ...base,
      type: status === 'unhealthy' ? 'bot_unhealthy' : 'bot_degraded',
      severity: status === 'unhealthy' ? 'high' : 'warning',
      data,
    });
  }
  return { ok: true, status, events };
}

/** The body's `checks` as they are when small, else each check's status only, else nothing. */
function checksOf(checks: unknown): unknown {
  if (checks === undefined || checks === null) return undefined;
  if (JSON.stringify(checks).length <= MAX_CHECKS_CHARS) return checks;
  if (typeof checks !== 'object' || Array.isArray(checks)) return undefined;
  const summary: Record<string, unknown> = {};
  for (const [name, c] of Object.entries(checks as Record<string, unknown>)) {
    const s = c && typeof c === 'object' ? (c as { status?: unknown }).status : c;
    summary[name.slice(0, LIMITS.name)] = typeof s === 'string' || typeof s === 'boolean' ? s : null;
  }
  return JSON.stringify(summary).length <= MAX_CHECKS_CHARS ? summary : undefined;
}
