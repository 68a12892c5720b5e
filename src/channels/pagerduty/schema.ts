import { z } from 'zod';
import { httpUrlSchema, receiverObject, secretSchema } from '../receiver-schema.js';

/** PagerDuty's US service region; `events.eu.pagerduty.com` is the EU one. */
export const DEFAULT_SERVER = 'events.pagerduty.com';
export const DEFAULT_CLIENT = 'Klaxon';
/** An Events API v2 integration key (service or ruleset/orchestration) is exactly this long. */
export const ROUTING_KEY_LENGTH = 32;

const ROUTING_KEY_HINT = `the ${ROUTING_KEY_LENGTH}-character Integration Key of an Events API v2 integration, e.g. \${PAGERDUTY_ROUTING_KEY}`;

const LABEL = '[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?';
/** `host`, `host:port`, `[ipv6]` or `[ipv6]:port`: what pdjs puts between `https://` and `/v2/enqueue`. */
const SERVER = new RegExp(`^(?:${LABEL}(?:\\.${LABEL})*|\\[[0-9A-Fa-f:.]+\\])(?::(\\d{1,5}))?$`);

export interface ServerAddress {
  /** Host name or IP address, without brackets. */
  host: string;
  port: number;
}

/** Splits a validated `server` into host and port (443 when none is given). */
export function parseServer(server: string): ServerAddress {
  const m = /^(?:\[([^\]]+)\]|([^:]+))(?::(\d+))?$/.exec(server);
  if (!m) throw new Error('server must be a host name with an optional :port');
  return { host: m[1] ?? m[2] ?? '', port: m[3] ? Number(m[3]) : 443 };
}

/** `host:port` as people write it (IPv6 in brackets), for messages. */
export function formatServer(a: ServerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function serverProblem(s: string): string | undefined {
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s))
    return 'server takes a host name and optional :port without a scheme (PagerDuty is always reached over https://), e.g. events.eu.pagerduty.com';
  if (s.includes('/'))
    return 'server takes a host name and optional :port without a path (the client adds /v2/enqueue), e.g. events.eu.pagerduty.com';
  const m = SERVER.exec(s);
  if (!m)
    return 'server must be a host name with an optional :port, e.g. events.pagerduty.com or events.eu.pagerduty.com';
  const port = m[1] === undefined ? 443 : Number(m[1]);
  if (port < 1 || port > 65535) return 'server port must be between 1 and 65535';
  return undefined;
}

export const pagerdutyReceiverSchema = receiverObject('pagerduty', {
  // The routing key is the credential: messages say what is wrong, never what it is.
  routing_key: secretSchema('routing_key', ROUTING_KEY_HINT).refine((k) => k.length === ROUTING_KEY_LENGTH, {
    message: `routing_key must be exactly ${ROUTING_KEY_LENGTH} characters: ${ROUTING_KEY_HINT}`,
  }),
  server: z
    .string({ error: 'server must be a host name such as events.pagerduty.com' })
    .trim()
    .superRefine((s, ctx) => {
      const problem = serverProblem(s);
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    })
    .default(DEFAULT_SERVER),
  /** Shown by PagerDuty as the tool that sent the event. */
  client: z
    .string({ error: 'client must be a string (the name PagerDuty shows as the sender)' })
    .trim()
    .min(1, 'client must not be empty (the name PagerDuty shows as the sender)')
    .max(255, 'client must be at most 255 characters')
    .default(DEFAULT_CLIENT),
  /** Where PagerDuty's "View in Klaxon" link points. */
  client_url: httpUrlSchema('client_url', 'the http(s) URL PagerDuty links the sender name to').optional(),
});

export type PagerDutyReceiverConfig = z.output<typeof pagerdutyReceiverSchema>;
