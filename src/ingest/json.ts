/**
 * JSON bodies. `JSON.parse` plus what it does not do for us:
 * - Nesting is bounded (`server.max_json_depth`) before anything is parsed: a 10 KB body nested
 *   5,000 levels deep would otherwise reach the queue, and fail there (a 503), or deeper still,
 *   overflow the stack of whatever walks it.
 * - Python's `json.dumps` writes bare `NaN`, `Infinity` and `-Infinity` for non-finite floats,
 *   which is not JSON. When parsing fails we look for such tokens and name the fields that hold
 *   them, so the sender learns which value is wrong instead of reading "malformed JSON".
 * - `__proto__` keys are refused, however they are spelled (`"\u005f_proto__"` is the same key):
 *   they would change an object's prototype once copied.
 */
import { formatPath, type FieldError } from '../model/inputs.js';
import { HttpError, invalidInput } from './errors.js';

/** `server.max_json_depth`: default and bounds (the body itself is level 1). */
export const DEFAULT_MAX_JSON_DEPTH = 32;
export const MIN_JSON_DEPTH = 4;
export const MAX_JSON_DEPTH = 256;

export interface JsonBodyOptions {
  /** Deepest nesting of objects and arrays allowed (default 32). */
  maxDepth?: number;
}

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
      i = closingQuote(text, i) + 1;
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

/**
 * Where `text` nests objects and arrays deeper than `max`, as the path of the first container
 * too deep; undefined when it does not. A linear scan of the text that needs no valid JSON.
 */
function tooDeep(text: string, max: number): PropertyKey[] | undefined {
  // First whether it is too deep at all, jumping from one quote or bracket to the next (strings
  // skipped whole), then, rarely, where.
  let depth = 0;
  let deeper = false;
  const next = /["{}[\]]/g;
  while (!deeper && next.test(text)) {
    const i = next.lastIndex - 1;
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) next.lastIndex = closingQuote(text, i) + 1;
    else if (c === 123 /* { */ || c === 91 /* [ */) deeper = ++depth > max;
    else depth--;
  }
  if (!deeper) return undefined;

  // Each open container and the key (object) or index (array) the scan is in.
  const stack: { array: boolean; at: PropertyKey }[] = [];
  let expectKey = false;
  const n = text.length;
  for (let i = 0; i < n; i++) {
    const c = text.charCodeAt(i);
    if (c === 34 /* " */) {
      const start = i;
      i = closingQuote(text, i);
      const top = stack[stack.length - 1];
      if (expectKey && top && !top.array) {
        const raw = text.slice(start, i + 1);
        try {
          top.at = JSON.parse(raw) as string;
        } catch {
          top.at = raw.slice(1, -1);
        }
        expectKey = false;
      }
    } else if (c === 123 || c === 91) {
      if (stack.length >= max) return stack.map((f) => f.at);
      stack.push({ array: c === 91, at: c === 91 ? 0 : '' });
      expectKey = c === 123;
    } else if (c === 125 /* } */ || c === 93 /* ] */) {
      stack.pop();
      expectKey = false;
    } else if (c === 44 /* , */) {
      const top = stack[stack.length - 1];
      if (top?.array) top.at = (top.at as number) + 1;
      else expectKey = true;
    } else if (c === 58 /* : */) {
      expectKey = false;
    }
  }
  return undefined;
}

/** The path of a `__proto__` own key in `value`, depth first; undefined when there is none. */
function findProtoKey(value: unknown, path: PropertyKey[]): PropertyKey[] | undefined {
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findProtoKey(value[i], [...path, i]);
      if (found) return found;
    }
  } else if (value !== null && typeof value === 'object') {
    if (Object.hasOwn(value, '__proto__')) return [...path, '__proto__'];
    for (const [k, v] of Object.entries(value)) {
      const found = findProtoKey(v, [...path, k]);
      if (found) return found;
    }
  }
  return undefined;
}

function refuseProtoKey(text: string, value: unknown): void {
  // A key can only be `__proto__` if the text says so, literally or with \u escapes.
  if (!text.includes('__proto__') && !text.includes('\\u')) return;
  const found = findProtoKey(value, []);
  if (!found) return;
  const path = formatPath(found);
  const message = 'the key "__proto__" is not allowed (it would replace the object\'s prototype)';
  throw invalidInput(`${path}: ${message}`, [{ path, message }]);
}

/** Bodies up to this size are parsed before their depth is checked (see parseJsonBody). */
const PARSE_FIRST_MAX_BYTES = 128 * 1024;

/** Parses a JSON request body; throws an HttpError (400) naming what is wrong. */
export function parseJsonBody(text: string, opts: JsonBodyOptions = {}): unknown {
  if (text.trim() === '')
    throw new HttpError(400, 'invalid_json', 'the request body is empty; send a JSON document');
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const refuseDeep = (deep: PropertyKey[] | undefined): void => {
    if (!deep) return;
    const path = formatPath(deep);
    const message = `is nested deeper than the limit of ${maxDepth} levels of objects and arrays (server.max_json_depth)`;
    throw invalidInput(`${path || '(body)'}: ${message}`, [{ path, message }]);
  };
  // A small body is parsed first (V8 parses any depth without recursion) and what is too deep is
  // refused right after, before anything walks the value: cheaper than reading the text. A large
  // one is read as text first, so that a deep one is refused without being built.
  const textFirst = text.length > PARSE_FIRST_MAX_BYTES;
  if (textFirst) refuseDeep(tooDeep(text, maxDepth));
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    // Malformed: the text itself is checked before the repairs below walk what they parse.
    if (!textFirst) refuseDeep(tooDeep(text, maxDepth));
    const quoted = quoteNonFinite(text);
    if (quoted !== undefined) {
      let reparsed: unknown;
      let ok = false;
      try {
        reparsed = JSON.parse(quoted);
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
  if (!textFirst) refuseDeep(deeperThan(value, maxDepth));
  refuseProtoKey(text, value);
  return value;
}

/**
 * Where a parsed value nests objects and arrays deeper than `max`, as the path of the first
 * container too deep (in document order); undefined when it does not. Without recursion, and
 * touching only containers: a snapshot's numbers cost a type check each.
 */
function deeperThan(root: unknown, max: number): PropertyKey[] | undefined {
  interface Frame {
    value: object;
    depth: number;
    key: PropertyKey;
    parent?: Frame;
  }
  if (typeof root !== 'object' || root === null) return undefined;
  const stack: Frame[] = [{ value: root, depth: 1, key: '' }];
  for (let frame = stack.pop(); frame; frame = stack.pop()) {
    if (frame.depth > max) {
      const path: PropertyKey[] = [];
      for (let f: Frame | undefined = frame; f?.parent; f = f.parent) path.unshift(f.key);
      return path;
    }
    const children: Frame[] = [];
    const v = frame.value as Record<string, unknown>;
    if (Array.isArray(v)) {
      for (let i = 0; i < v.length; i++) {
        const c: unknown = v[i];
        if (typeof c === 'object' && c !== null)
          children.push({ value: c, depth: frame.depth + 1, key: i, parent: frame });
      }
    } else
      for (const k in v) {
        const c = v[k];
        if (typeof c === 'object' && c !== null)
          children.push({ value: c, depth: frame.depth + 1, key: k, parent: frame });
      }
    // The first child on top, so that the walk goes in document order.
    for (let i = children.length - 1; i >= 0; i--) stack.push(children[i] as Frame);
  }
  return undefined;
}

/** The index of the quote that closes the JSON string opening at `open` (or the text's length). */
function closingQuote(text: string, open: number): number {
  for (let i = text.indexOf('"', open + 1); i !== -1; i = text.indexOf('"', i + 1)) {
    // Escaped when an odd number of backslashes stands before it.
    let b = i - 1;
    while (b > open && text.charCodeAt(b) === 92 /* \ */) b--;
    if ((i - 1 - b) % 2 === 0) return i;
  }
  return text.length;
}
