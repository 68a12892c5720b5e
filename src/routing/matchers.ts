import { RE2JS } from 're2js';
import { z } from 'zod';

/**
 * A matcher's regular expression, anchored, in RE2 syntax (as Alertmanager's): matching takes
 * time linear in the input, so no pattern (`(a+)+b`) can freeze the process. Lookarounds and
 * backreferences, which need backtracking, are refused.
 */
export function compileRegex(pattern: string): (s: string) => boolean {
  const re = RE2JS.compile(pattern);
  return (s) => re.matches(s);
}

/** Why a matcher's regex cannot be used, or undefined when it is fine. */
export function regexProblem(pattern: string): string | undefined {
  try {
    RE2JS.compile(pattern);
    return undefined;
  } catch (err) {
    return `is not a valid regular expression (RE2 syntax): ${(err as Error).message.replace(/^error parsing regexp: /, '')}`;
  }
}

/** A label matcher, Alertmanager style: `=`, `!=`, `=~` (regex, anchored), `!~`. */
export const matcherSchema = z
  .strictObject({
    name: z.string().min(1),
    op: z.enum(['=', '!=', '=~', '!~']).default('='),
    value: z.string(),
  })
  .superRefine((m, ctx) => {
    const problem = m.op === '=~' || m.op === '!~' ? regexProblem(m.value) : undefined;
    if (problem) ctx.addIssue({ code: 'custom', path: ['value'], message: problem });
  });
export type Matcher = z.output<typeof matcherSchema>;

/**
 * Matchers as written in config: a list of `{name, op, value}`, or a map `{label: value}` where a
 * value starting with `~` is a regex (`severity: ~critical|high`).
 */
export const matchersSchema = z.union([
  z.array(matcherSchema),
  z
    .record(z.string(), z.string())
    .transform((m) =>
      Object.entries(m).map(([name, v]): Matcher =>
        v.startsWith('~') ? { name, op: '=~', value: v.slice(1) } : { name, op: '=', value: v },
      ),
    )
    .superRefine((ms, ctx) => {
      ms.forEach((m) => {
        const problem = m.op === '=~' ? regexProblem(m.value) : undefined;
        if (problem) ctx.addIssue({ code: 'custom', path: [m.name], message: problem });
      });
    }),
]);

export type CompiledMatcher = (labels: Record<string, string>) => boolean;

export function compileMatchers(matchers: readonly Matcher[]): CompiledMatcher {
  const tests = matchers.map((m): CompiledMatcher => {
    if (m.op === '=' || m.op === '!=') {
      const want = m.op === '=';
      return (l) => ((l[m.name] ?? '') === m.value) === want;
    }
    const matches = compileRegex(m.value);
    const want = m.op === '=~';
    return (l) => matches(l[m.name] ?? '') === want;
  });
  return (labels) => tests.every((t) => t(labels));
}
