import { z } from 'zod';

/** A label matcher, Alertmanager style: `=`, `!=`, `=~` (regex, anchored), `!~`. */
export const matcherSchema = z.strictObject({
  name: z.string().min(1),
  op: z.enum(['=', '!=', '=~', '!~']).default('='),
  value: z.string(),
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
    ),
]);

export type CompiledMatcher = (labels: Record<string, string>) => boolean;

export function compileMatchers(matchers: readonly Matcher[]): CompiledMatcher {
  const tests = matchers.map((m): CompiledMatcher => {
    if (m.op === '=' || m.op === '!=') {
      const want = m.op === '=';
      return (l) => ((l[m.name] ?? '') === m.value) === want;
    }
    const re = new RegExp(`^(?:${m.value})$`);
    const want = m.op === '=~';
    return (l) => re.test(l[m.name] ?? '') === want;
  });
  return (labels) => tests.every((t) => t(labels));
}
