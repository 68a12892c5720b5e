/**
 * JSON bodies. `JSON.parse` plus two things it does not do for us:
 * - Python's `json.dumps` writes bare `NaN`, `Infinity` and `-Infinity` for non-finite floats,
 *   which is not JSON. When parsing fails we look for such tokens and name the fields that hold
 *   them, so the sender learns which value is wrong instead of reading "malformed JSON".
 * - `__proto__` keys are refused (they would change an object's prototype once copied).
 */
import { formatPath, type FieldError } from '../model/inputs.js';
import { HttpError, invalidInput } from './errors.js';

const SENTINEL = '\u0000klaxon-non-finite:';

/**
 * Replaces bare NaN/Infinity/-Infinity tokens outside strings by sentinel strings. Returns
 * undefined when there are none.
 */
function quoteNonFinite(text: string): string | undefined {
  let out = '';
  let last = 0;
  let found = false;
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      i++;
      while (i < n) {
        const d = text.charCodeAt(i);
        if (d === 92 /* \ */) i += 2;
        else if (d === 34) break;
        else i++;
      }
      i++;
      continue;
    }
    let token: string | undefined;
    if (text.startsWith('NaN', i)) token = 'NaN';
    else if (text.startsWith('Infinity', i)) token = 'Infinity';
    else if (text.startsWith('-Infinity', i)) token = '-Infinity';
    if (token !== undefined) {
      out += text.slice(last, i) + JSON.stringify(SENTINEL + token);
      i += token.length;
      last = i;
      found = true;
      continue;
    }
    i++;
  }
  return found ? out + text.slice(last) : undefined;
}

function findSentinels(value: unknown, path: PropertyKey[], out: FieldError[]): void {
  if (typeof value === 'string') {
    if (value.startsWith(SENTINEL)) {
      const token = value.slice(SENTINEL.length);
      out.push({
        path: formatPath(path),
        message: `must be a finite number, got ${token} (not valid JSON; Python's json.dumps writes it for float('${token === 'NaN' ? 'nan' : token.toLowerCase().replace('infinity', 'inf')}'): drop the field or send a finite number)`,
      });
    }
  } else if (Array.isArray(value)) {
    value.forEach((v, i) => findSentinels(v, [...path, i], out));
  } else if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) findSentinels(v, [...path, k], out);
  }
}

function rejectProto(key: string, value: unknown): unknown {
  if (key === '__proto__') throw new HttpError(400, 'invalid_json', 'the key "__proto__" is not allowed');
  return value;
}

/** Parses a JSON request body; throws an HttpError (400) naming what is wrong. */
export function parseJsonBody(text: string): unknown {
  if (text.trim() === '')
    throw new HttpError(400, 'invalid_json', 'the request body is empty; send a JSON document');
  const reviver = text.includes('"__proto__"') ? rejectProto : undefined;
  try {
    return JSON.parse(text, reviver);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    const quoted = quoteNonFinite(text);
    if (quoted !== undefined) {
      let reparsed: unknown;
      let ok = false;
      try {
        reparsed = JSON.parse(quoted, reviver);
        ok = true;
      } catch {
        // still broken for another reason: fall through to the generic message
      }
      if (ok) {
        const errors: FieldError[] = [];
        findSentinels(reparsed, [], errors);
        if (errors.length > 0) {
          const first = errors[0] as FieldError;
          throw invalidInput(
            `non-finite number at ${first.path || '(body)'}${errors.length > 1 ? ` and ${errors.length - 1} more` : ''}: JSON has no NaN or Infinity`,
            errors,
          );
        }
      }
    }
    const detail = err instanceof Error ? err.message : String(err);
    throw new HttpError(400, 'invalid_json', `malformed JSON: ${detail}`);
  }
}
