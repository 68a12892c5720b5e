import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import * as client from '../../src/client/index.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const SOURCE = 'src/client/index.ts';
const json = (file: string) =>
  JSON.parse(readFileSync(path.join(ROOT, file), 'utf8')) as Record<string, unknown>;

describe("the package's `klaxon/client` export", () => {
  it('points at what the build makes of src/client/index.ts', () => {
    const pkg = json('package.json') as { exports: Record<string, { types: string; import: string }> };
    const build = json('tsconfig.build.json') as { compilerOptions: { rootDir: string } };
    const base = json('tsconfig.json') as { compilerOptions: { outDir: string } };
    expect(existsSync(path.join(ROOT, SOURCE))).toBe(true);
    // tsc writes <outDir>/<path relative to rootDir>, .ts becoming .js and .d.ts
    const out = path.posix.join(
      base.compilerOptions.outDir,
      path.posix.relative(build.compilerOptions.rootDir, SOURCE).replace(/\.ts$/, ''),
    );
    expect(pkg.exports['./client']).toEqual({ types: `./${out}.d.ts`, import: `./${out}.js` });
    expect(out).toBe('dist/src/client/index');
  });

  it('exports the client and its error', () => {
    expect(typeof client.KlaxonClient).toBe('function');
    expect(new client.KlaxonError('failed', 'x')).toBeInstanceOf(Error);
    expect(Object.keys(client).sort()).toEqual(['KlaxonClient', 'KlaxonError']);
  });

  it('imports nothing but node: modules and its own folder (it ships to bots, without the server)', () => {
    const dir = path.join(ROOT, 'src/client');
    const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
    expect(files.sort()).toEqual(['client.ts', 'index.ts', 'queue.ts', 'retry.ts']);
    const seen: string[] = [];
    for (const f of files) {
      const text = readFileSync(path.join(dir, f), 'utf8');
      const specifiers = [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+'([^']+)'/g)].map(
        (m) => m[1],
      );
      const dynamic = [...text.matchAll(/import\(\s*'([^']+)'/g)].map((m) => m[1]);
      for (const s of [...specifiers, ...dynamic]) {
        expect(s, `${f} imports ${s}`).toMatch(/^(node:[a-z_/]+|\.\/[a-z-]+\.js)$/);
        seen.push(`${f}: ${s}`);
      }
    }
    expect(seen).toContain('client.ts: node:crypto'); // the scan does find imports
    expect(seen).toContain('index.ts: ./client.js');
  });
});
