/** Where the files shipped beside the code are: from src/ (tsx) or dist/src/ (built). */
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** The folder of package.json. */
export const REPO_ROOT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  ...(import.meta.url.includes('/dist/') ? ['..'] : []),
);
export const DEFAULT_CONFIG = path.join(REPO_ROOT, 'config', 'klaxon.yaml');
/** The shipped presets: rule sets, and the scrape metric maps. */
export const PRESETS_DIR = path.join(REPO_ROOT, 'config', 'presets');
