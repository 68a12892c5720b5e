/**
 * Reading a Discord webhook URL. The URL is the credential (no other auth), so nothing here ever
 * puts the URL, or any part of it, into an error message.
 *
 * discord.js's own `WebhookClient({ url })` accepts only `discord.com` with a 68-character token;
 * people paste the legacy `discordapp.com` host, `ptb.`/`canary.` hosts, versioned paths, a
 * trailing slash or a `?thread_id=` query too. We read all of those and hand discord.js `{ id, token }`.
 */

export interface DiscordWebhookCredentials {
  /** The webhook's snowflake id. */
  id: string;
  /** The webhook's token: the secret part. */
  token: string;
  /** A `thread_id` given in the URL's query (Discord's "copy link" for a thread adds it). */
  threadId?: string;
}

/** Discord's API base, without the version (discord.js appends `/v10`). */
export const DEFAULT_DISCORD_API_ROOT = 'https://discord.com/api';

const HOST = /^(?:(?:ptb|canary)\.)?discord(?:app)?\.com$/i;
/** `/api/webhooks/<id>/<token>`, `/api/v10/webhooks/…`, with an optional trailing slash. */
const PATH = /^\/api(?:\/v\d{1,2})?\/webhooks\/(\d{17,20})\/([A-Za-z0-9_-]{20,200})\/?$/;
/** Discord ids (snowflakes) are 17 to 20 digits. */
export const SNOWFLAKE = /^\d{17,20}$/;

/** Parses a Discord webhook URL, or returns undefined when it is not one. Never throws. */
export function parseDiscordWebhookUrl(input: string): DiscordWebhookCredentials | undefined {
  let url: URL;
  try {
    url = new URL(input.trim());
  } catch {
    return undefined;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return undefined;
  if (url.username !== '' || url.password !== '' || url.port !== '') return undefined;
  if (!HOST.test(url.hostname)) return undefined;
  const m = PATH.exec(url.pathname);
  if (!m) return undefined;
  const [, id, token] = m;
  if (id === undefined || token === undefined) return undefined;
  const thread = url.searchParams.get('thread_id');
  return thread !== null && SNOWFLAKE.test(thread) ? { id, token, threadId: thread } : { id, token };
}
