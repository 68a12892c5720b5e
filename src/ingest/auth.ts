/**
 * Credentials: bearer tokens for bots and admins, basic auth or a bearer token for Alertmanager.
 * Secrets are compared in constant time (both sides hashed, then `timingSafeEqual`), every
 * configured secret is compared on every request (no early exit), and only a token's `name`
 * ever leaves this file.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { IngestConfig } from './config.js';
import { globMatcher } from '../model/glob.js';

/** Who sent a request. */
export interface Principal {
  /** The token's configured name (`alertmanager` for Alertmanager's credential, `anonymous` on open routes). */
  name: string;
  /** `session`: a console login, made with an admin token (the principal keeps the token's name). */
  kind: 'token' | 'alertmanager' | 'anonymous' | 'session';
  /** Source names or globs this principal may push. */
  sources: string[];
  admin: boolean;
}

export type AuthOutcome =
  | { ok: true; principal: Principal }
  | { ok: false; reason: 'missing' | 'unknown' | 'malformed' | 'unconfigured' };

/** Which credentials a route accepts. */
export type Access = 'open' | 'ingest' | 'alertmanager' | 'admin';

function sha256(s: string): Buffer {
  return createHash('sha256').update(s, 'utf8').digest();
}

function equalHashed(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}

/** Whether `given` is the secret `expected`, compared in constant time (both sides hashed). */
export function sameSecret(given: string, expected: string): boolean {
  return equalHashed(sha256(given), sha256(expected));
}

interface StoredToken {
  principal: Principal;
  hash: Buffer;
}

export class Authenticator {
  private readonly tokens: StoredToken[];
  private readonly amToken?: Buffer;
  private readonly amUser?: Buffer;
  private readonly amPass?: Buffer;
  private readonly authRequired: boolean;
  private readonly amAuthRequired: boolean;
  private readonly patterns = new Map<string, (source: string) => boolean>();

  constructor(config: IngestConfig) {
    this.tokens = config.tokens.map((t) => ({
      principal: { name: t.name, kind: 'token', sources: [...t.sources], admin: t.admin },
      hash: sha256(t.token),
    }));
    const am = config.alertmanager;
    if (am.token !== undefined) this.amToken = sha256(am.token);
    if (am.username !== undefined && am.password !== undefined) {
      this.amUser = sha256(am.username);
      this.amPass = sha256(am.password);
    }
    this.authRequired = config.auth;
    this.amAuthRequired = am.auth ?? config.auth;
  }

  /** Whether any credential exists for routes of this access kind. */
  hasCredentials(access: Access): boolean {
    if (access === 'alertmanager')
      return this.amToken !== undefined || this.amUser !== undefined || this.tokens.length > 0;
    if (access === 'admin') return this.tokens.some((t) => t.principal.admin);
    return this.tokens.length > 0;
  }

  /** Resolves the principal of a request from its `Authorization` header. */
  authenticate(header: string | undefined, access: Access): AuthOutcome {
    if (access === 'open') return { ok: true, principal: ANONYMOUS };
    const open = access === 'alertmanager' ? !this.amAuthRequired : !this.authRequired;
    const outcome = this.check(header, access);
    if (outcome.ok || !open) return outcome;
    // Auth turned off: unknown or absent credentials are let through as anonymous.
    return { ok: true, principal: ANONYMOUS };
  }

  private check(header: string | undefined, access: Access): AuthOutcome {
    if (!this.hasCredentials(access) && header === undefined) return { ok: false, reason: 'unconfigured' };
    if (header === undefined || header.trim() === '') return { ok: false, reason: 'missing' };
    const m = /^\s*(\S+)\s+(.+?)\s*$/.exec(header);
    if (!m) return { ok: false, reason: 'malformed' };
    const scheme = (m[1] ?? '').toLowerCase();
    const cred = m[2] ?? '';
    if (scheme === 'bearer') {
      const h = sha256(cred);
      let found: Principal | undefined;
      for (const t of this.tokens) if (equalHashed(h, t.hash) && !found) found = t.principal;
      if (access === 'alertmanager' && this.amToken && equalHashed(h, this.amToken) && !found)
        found = ALERTMANAGER;
      return found ? { ok: true, principal: found } : { ok: false, reason: 'unknown' };
    }
    if (scheme === 'basic') {
      if (access !== 'alertmanager' || !this.amUser || !this.amPass) return { ok: false, reason: 'unknown' };
      const decoded = Buffer.from(cred, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon < 0) return { ok: false, reason: 'malformed' };
      const userOk = equalHashed(sha256(decoded.slice(0, colon)), this.amUser);
      const passOk = equalHashed(sha256(decoded.slice(colon + 1)), this.amPass);
      return userOk && passOk ? { ok: true, principal: ALERTMANAGER } : { ok: false, reason: 'unknown' };
    }
    return { ok: false, reason: 'malformed' };
  }

  /** Whether the principal may push this source. */
  maySend(principal: Principal, source: string): boolean {
    return principal.sources.some((p) => {
      if (p === '*') return true;
      if (!p.includes('*') && !p.includes('?')) return p === source;
      let matches = this.patterns.get(p);
      if (!matches) {
        matches = globMatcher(p);
        this.patterns.set(p, matches);
      }
      return matches(source);
    });
  }

  /** The source used when an item names none: the principal's only exact source, if it has exactly one. */
  defaultSource(principal: Principal): string | undefined {
    const [only, ...rest] = principal.sources;
    if (only === undefined || rest.length > 0 || only.includes('*') || only.includes('?')) return undefined;
    return only;
  }
}

export const ANONYMOUS: Principal = { name: 'anonymous', kind: 'anonymous', sources: ['*'], admin: true };
const ALERTMANAGER: Principal = { name: 'alertmanager', kind: 'alertmanager', sources: ['*'], admin: false };

/** The message of a 401, never containing the credential. */
export function unauthorizedMessage(
  reason: Exclude<AuthOutcome, { ok: true }>['reason'],
  access: Access,
): string {
  switch (reason) {
    case 'missing':
      return access === 'alertmanager'
        ? 'credentials required: configure basic auth or a bearer token in the webhook http_config'
        : 'credentials required: send Authorization: Bearer <token>';
    case 'malformed':
      return (
        'malformed Authorization header: use "Bearer <token>"' +
        (access === 'alertmanager' ? ' or "Basic <base64>"' : '')
      );
    case 'unconfigured':
      return 'no credential is configured for this route; add one to the server config (or set auth: false for a local trial)';
    default:
      return 'unknown credentials';
  }
}
