/**
 * Signed links, signed with `server.link_secret` (HMAC-SHA256), each for one purpose:
 * - `ack`: acknowledge links, for receivers that cannot post back (email, Discord): the link holds
 *   the alert's fingerprint; whoever has it may acknowledge that one alert until it expires;
 * - `digest`: the full daily digest behind a chat receiver's short version: the link holds the
 *   digest's scheduled time; whoever has it may read that one digest until it expires.
 * The signature is the credential, and nothing else. Pure (the time comes from the caller).
 *
 * Token: `<payload>.<signature>`, both base64url; payload = JSON `[subject, expiresAt ms]`.
 * About 100 characters for a fingerprint of 24, within the 128 a path parameter may have.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

/** How long a link in a notification stays valid. */
export const ACK_LINK_TTL = 7 * 86_400_000;

/** Longest token the server's router takes as one path parameter. */
const MAX_TOKEN_LENGTH = 128;
const TOKEN_RE = /^([A-Za-z0-9_-]+)\.([A-Za-z0-9_-]{43})$/;
/** Fingerprints as the admin routes accept them (and digest slots, in digits). */
const FP_RE = /^[A-Za-z0-9_.:-]{1,128}$/;
/** What a link lets its holder do. */
export type LinkPurpose = 'ack' | 'digest';
/** Keeps these signatures apart from each other and from anything else the secret might sign. */
const CONTEXT: Record<LinkPurpose, string> = { ack: 'klaxon-ack-link:v1:', digest: 'klaxon-digest-link:v1:' };
/** Where each kind of link leads, under the public URL. */
const PATH: Record<LinkPurpose, string> = { ack: '/v1/ack/', digest: '/v1/digest/view/' };

export interface AckLinkSettings {
  /** `server.public_url`: where people reach Klaxon. */
  publicUrl: string;
  /** `server.link_secret`. */
  secret: string;
}

export type AckTokenCheck =
  { ok: true; fingerprint: string; expiresAt: number } | { ok: false; reason: 'invalid' | 'expired' };

function sign(secret: string, purpose: LinkPurpose, payload: string): Buffer {
  return createHmac('sha256', secret)
    .update(CONTEXT[purpose] + payload)
    .digest();
}

/** The token of a link for `purpose` on `subject` (a fingerprint, a digest slot) until `expiresAt` (ms). */
export function linkToken(secret: string, purpose: LinkPurpose, subject: string, expiresAt: number): string {
  const payload = Buffer.from(JSON.stringify([subject, Math.floor(expiresAt)]), 'utf8').toString('base64url');
  return `${payload}.${sign(secret, purpose, payload).toString('base64url')}`;
}

/** The token of a link acknowledging `fingerprint` until `expiresAt` (ms). */
export function ackToken(secret: string, fingerprint: string, expiresAt: number): string {
  return linkToken(secret, 'ack', fingerprint, expiresAt);
}

/**
 * `<public_url>/v1/ack/<token>` (or `/v1/digest/view/<token>`), or undefined when the token would
 * be too long for a path parameter (a fingerprint far longer than Klaxon's own).
 */
export function signedLink(
  s: AckLinkSettings,
  purpose: LinkPurpose,
  subject: string,
  expiresAt: number,
): string | undefined {
  const token = linkToken(s.secret, purpose, subject, expiresAt);
  if (token.length > MAX_TOKEN_LENGTH) return undefined;
  return `${s.publicUrl.replace(/\/+$/, '')}${PATH[purpose]}${token}`;
}

/** `<public_url>/v1/ack/<token>`: see signedLink. */
export function ackLink(s: AckLinkSettings, fingerprint: string, expiresAt: number): string | undefined {
  return signedLink(s, 'ack', fingerprint, expiresAt);
}

/**
 * Checks a token's signature for `purpose` (in constant time) and then its expiry at `now`.
 * `invalid`: not a token, or not signed with this secret for this purpose (tampered, signed with a
 * secret since changed, or a link of another kind).
 */
export function verifyLinkToken(
  secret: string,
  purpose: LinkPurpose,
  token: string,
  now: number,
): { ok: true; subject: string; expiresAt: number } | { ok: false; reason: 'invalid' | 'expired' } {
  const m = token.length <= MAX_TOKEN_LENGTH ? TOKEN_RE.exec(token) : null;
  if (!m) return { ok: false, reason: 'invalid' };
  const [, payload = '', signature = ''] = m;
  const given = Buffer.from(signature, 'base64url');
  const expected = sign(secret, purpose, payload);
  if (given.length !== expected.length || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'invalid' };
  let v: unknown;
  try {
    v = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8'));
  } catch {
    return { ok: false, reason: 'invalid' };
  }
  if (!Array.isArray(v) || v.length !== 2) return { ok: false, reason: 'invalid' };
  const [subject, expiresAt] = v as unknown[];
  if (typeof subject !== 'string' || !FP_RE.test(subject)) return { ok: false, reason: 'invalid' };
  if (typeof expiresAt !== 'number' || !Number.isFinite(expiresAt)) return { ok: false, reason: 'invalid' };
  if (now >= expiresAt) return { ok: false, reason: 'expired' };
  return { ok: true, subject, expiresAt };
}

/** verifyLinkToken for acknowledge links. */
export function verifyAckToken(secret: string, token: string, now: number): AckTokenCheck {
  const c = verifyLinkToken(secret, 'ack', token, now);
  return c.ok ? { ok: true, fingerprint: c.subject, expiresAt: c.expiresAt } : c;
}
