import { domainToASCII } from 'node:url';

/**
 * Email addresses as the config writes them: `oncall@example.com`, or for the sender also
 * `Klaxon <klaxon@example.com>` / `"Klaxon, prod" <klaxon@example.com>`. Deliberately stricter
 * than RFC 5322 (no comments, no quoted local parts, no source routes): an alerting path wants
 * addresses that every relay takes, and a config typo caught at start-up, not at 3 a.m.
 */
export interface Mailbox {
  /** The display name, unquoted, when one was given. */
  name?: string;
  address: string;
}

/** Longest address SMTP carries (RFC 5321 §4.5.3.1.3: a 256-octet path, less the brackets). */
export const ADDRESS_MAX = 254;

const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
/** A DNS label; letters of any script are allowed here and turned into punycode by the client. */
const LABEL = /^[\p{L}\p{N}](?:[\p{L}\p{N}-]{0,61}[\p{L}\p{N}])?$/u;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f\u0085\u2028\u2029]/;

/** `name@domain` with a plain local part (at most 64) and a host name domain. */
export function isEmailAddress(s: string): boolean {
  if (s.length > ADDRESS_MAX) return false;
  const at = s.lastIndexOf('@');
  if (at <= 0 || at === s.length - 1) return false;
  const local = s.slice(0, at);
  const domain = s.slice(at + 1);
  if (local.length > 64 || !LOCAL_PART.test(local)) return false;
  const labels = domain.split('.');
  return labels.every((l) => LABEL.test(l)) && domainToASCII(domain) !== '';
}

/**
 * Reads `addr` or `Name <addr>` (the name may be in double quotes). Undefined when it is neither,
 * or when the name holds line breaks or angle brackets (header injection, or a typo).
 */
export function parseMailbox(input: string): Mailbox | undefined {
  const s = input.trim();
  if (CONTROL.test(s)) return undefined;
  const m = /^(.*?)\s*<([^<>]*)>$/s.exec(s);
  if (!m) return isEmailAddress(s) ? { address: s } : undefined;
  const address = (m[2] ?? '').trim();
  let name = (m[1] ?? '').trim();
  if (name.length >= 2 && name.startsWith('"') && name.endsWith('"')) name = name.slice(1, -1).trim();
  if (/[<>"]/.test(name) || !isEmailAddress(address)) return undefined;
  return name === '' ? { address } : { name, address };
}

/** The domain of an address in ASCII (punycode) and lower case: `klaxon@Exämple.com` -> `xn--exmple-cua.com`. */
export function domainOf(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return (domainToASCII(domain) || domain).toLowerCase();
}
