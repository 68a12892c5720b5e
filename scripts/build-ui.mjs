// Builds the web console (ui/) into dist/ui/: index.html, assets/app.js (+ .map) and assets/app.css.
//
//   node scripts/build-ui.mjs          -> <repo>/dist/ui
//   import { buildUi } from './scripts/build-ui.mjs'; await buildUi('/tmp/x/ui')

import { copyFile, mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { argv } from 'node:process';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const ui = join(repo, 'ui');

/** Builds the console into `outDir` (an absolute path); resolves once every file is written. */
export async function buildUi(outDir) {
  const assets = join(outDir, 'assets');
  await mkdir(assets, { recursive: true });
  const common = { bundle: true, minify: true, logLevel: 'warning', absWorkingDir: repo };
  await Promise.all([
    esbuild.build({
      ...common,
      entryPoints: [join(ui, 'src', 'main.tsx')],
      outfile: join(assets, 'app.js'),
      format: 'esm',
      platform: 'browser',
      target: 'es2022',
      sourcemap: true,
      tsconfig: join(repo, 'tsconfig.ui.json'),
      legalComments: 'none',
    }),
    esbuild.build({
      ...common,
      entryPoints: [join(ui, 'app.css')],
      outfile: join(assets, 'app.css'),
      target: ['chrome109', 'firefox115', 'safari15'],
    }),
    copyFile(join(ui, 'index.html'), join(outDir, 'index.html')),
  ]);
}

if (argv[1] && import.meta.url === pathToFileURL(resolve(argv[1])).href) {
  await buildUi(join(repo, 'dist', 'ui'));
}
