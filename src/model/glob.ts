/**
 * `grid-*` style globs, the one compiler of them (sources in tokens and in rules): `*` any run of
 * characters, `?` one; everything else literal.
 */
export function globMatcher(pattern: string): (s: string) => boolean {
  if (!/[*?]/.test(pattern)) return (s) => s === pattern;
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
        .join('') +
      '$',
  );
  return (s) => re.test(s);
}
