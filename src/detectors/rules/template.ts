import Handlebars from 'handlebars';
import { formatDuration } from '../../model/time-text.js';
import { formatMoney, formatNumber, formatPercent, formatRatio } from '../../model/format.js';

/**
 * Rule annotations are Handlebars templates: `{{value}}`, `{{threshold}}`, `{{labels.symbol}}`,
 * `{{data.loss}}` (an event's fields), and formatting helpers:
 * - `{{money value}}` -> `-$520.00` (`{{money value "EUR"}}` for another currency);
 * - `{{percent value}}` -> a ratio as a percentage, 1.04 -> `104%`;
 * - `{{pct value}}` -> a value already in percent, 12.5 -> `12.5%`;
 * - `{{number value}}` -> a few significant digits;
 * - `{{duration value}}` -> milliseconds for people, `1m 30s`;
 * - `{{neg value}}`, `{{abs value}}` -> the negated or absolute number, to pass on to the others.
 * A bare number reads as `{{number …}}` would show it. Nothing is HTML-escaped here: each channel
 * escapes for its own service. Unknown names are left empty; unknown helpers are refused when the
 * configuration is loaded.
 */
const hb = Handlebars.create();

/** A number that shows itself formatted but gives helpers its exact value. */
class Num {
  constructor(readonly v: number) {}
  [Symbol.toPrimitive](hint: string): number | string {
    return hint === 'number' ? this.v : formatNumber(this.v);
  }
}

const num = (v: unknown): number => (v instanceof Num ? v.v : Number(v));
/** Handlebars passes its options object last; a helper's optional argument must not take it. */
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const HELPERS: Record<string, (...args: unknown[]) => unknown> = {
  number: (v) => formatNumber(num(v)),
  money: (v, currency) => formatMoney(num(v), str(currency)),
  percent: (v) => formatRatio(num(v)),
  pct: (v) => formatPercent(num(v)),
  duration: (v) => formatDuration(num(v)),
  neg: (v) => new Num(-num(v)),
  abs: (v) => new Num(Math.abs(num(v))),
};
for (const [name, fn] of Object.entries(HELPERS)) hb.registerHelper(name, fn);

const OPTIONS: CompileOptions = {
  noEscape: true,
  knownHelpers: Object.fromEntries(Object.keys(HELPERS).map((k) => [k, true])),
  knownHelpersOnly: true,
};

const compiled = new Map<string, HandlebarsTemplateDelegate>();

/** Why a template cannot be used (syntax, an unknown helper), or undefined when it is fine. */
export function templateProblem(template: string): string | undefined {
  try {
    hb.precompile(template, OPTIONS);
    return undefined;
  } catch (err) {
    return (err as Error).message.split('\n')[0];
  }
}

/** Fills a template; numbers anywhere in the variables (one level into objects) are formatted. */
export function fillTemplate(template: string, vars: Record<string, unknown>): string {
  let fn = compiled.get(template);
  if (!fn) {
    fn = hb.compile(template, OPTIONS);
    compiled.set(template, fn);
  }
  return fn(wrapNumbers(vars, 1));
}

function wrapNumbers(v: unknown, depth: number): unknown {
  if (typeof v === 'number') return new Num(v);
  if (depth >= 0 && v && typeof v === 'object' && !Array.isArray(v))
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, wrapNumbers(x, depth - 1)]));
  return v;
}
