/**
 * Signed acknowledge links, for receivers that cannot post back (email, Discord): a link that
 * holds the alert's fingerprint and an expiry, signed with `server.link_secret` (HMAC-SHA256).
 * The signature is the credential: whoever has the link may acknowledge that one alert until it
 * expires, and nothing else. Pure (the time comes from the caller).
 *
 * Token: `<payload>.<signature>`, both base64url; payload = JSON `[fingerprint, expiresAt ms]`.
 * About 100 characters for a fingerprint of 24, within the 128 a path parameter may have.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a link in a notification stays valid. */
export const ACK_LINK_TTL = 7 * 86_400_000;

/** Longest token the server's router takes as one path parameter. */
const MAX_TOKEN_LENGTH = 128;
const TOKEN_RE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;
/** Fingerprints as the admin routes accept them. */
const FP_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
/** Keeps these signatures apart from anything else the same secret might ever sign. */
const CONTEXT = 'klaxon-ack-link:v1:';

export interface AckLinkSettings {
  /** `server.public_url`: where people reach Klaxon. */
  publicUrl: string;
  /** `server.link_secret`. */
  secret: string;
}

export type AckTokenCheck =
  { ok: true; fingerprint: string; expiresAt: number } | { ok: false; reason: 'invalid' | 'expired' };

function sign(secret: string, payload: string): Buffer {
  return createHmac('sha256', secret)
    .update(CONTEXT + payload)
    .digest();
}

/** The token of a link acknowledging `fingerprint` until `expiresAt` (ms). */
export function ackToken(secret: string, fingerprint: string, expiresAt: number): string {
  const payload = Buffer.from(JSON.stringify([fingerprint, Math.floor(expiresAt)]), 'utf8').toString(
    'base64url',
  );
  return `${payload}.${sign(secret, payload).toString('base64url')}`;
}

/**
 * `<public_url>/v1/ack/<token>`, or undefined when the token would be too long for a path
 * parameter (a fingerprint far longer than Klaxon's own).
 */
export function ackLink(s: AckLinkSettings, fingerprint: string, expiresAt: number): string | undefined {
  const token = ackToken(s.secret, fingerprint, expiresAt);
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  return `${s.publicUrl.replace(/\/+$/, '')}/v1/ack/${token}`;
}

/**
 * Checks a token's signature (in constant time) and then its expiry at `now`. `invalid`: not a
 * token, or not signed with this secret (tampered, or signed with a secret since changed).
 */
export function verifyAckToken(secret: string, token: string, now: number): AckTokenCheck {
  const m = token.length <= MAX_TOKEN_LENGTH ? TOKEN_RE.exec(token) : null;
  if (!m) return { ok: false, reason: 'invalid' };
  const [, payload = '', signature = ''] = m;
  const given = Buffer.from(signature, 'base64url');
  const expected = sign(secret, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'invalid' };
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (!Array.isArray(v) || v.length !== 2) return { ok: false, reason: 'invalid' };
  const [fingerprint, expiresAt] = v as unknown[];
  if (typeof fingerprint !== 'string' || !FP_RE.test(fingerprint)) return { ok: false, reason: 'invalid' };
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return { ok: false, reason: 'invalid' };
  if (now >= expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, fingerprint, expiresAt };
}
