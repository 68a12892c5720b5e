/**
 * The metric maps shipped for the bots' own metric families (`config/presets/scrape-maps.yaml`),
 * which a target names with `map: coinbase_trader`. Read once, validated with the same schema as
 * a map written in the config.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { PRESETS_DIR } from '../config/paths.js';
import { formatPath } from '../model/inputs.js';
import { metricMapSchema, type MetricMap } from './map-schema.js';

export const MAP_PRESETS_FILE = 'config/presets/scrape-maps.yaml';

export type MapPresets = { maps: Record<string, MetricMap> } | { error: string };

let cached: MapPresets | undefined;

/** The shipped maps by name, or why they cannot be read (a broken install). */
export function mapPresets(): MapPresets {
  cached ??= readPresets(path.join(PRESETS_DIR, 'scrape-maps.yaml'));
  return cached;
}

export function readPresets(file: string): MapPresets {
  let doc: unknown;
  try {
    doc = parse(readFileSync(file, 'utf8'));
  } catch (err) {
    return { error: (err as Error).message.split('\n')[0] ?? 'unreadable' };
  }
  const maps = (doc as { maps?: unknown } | null)?.maps;
  if (!maps || typeof maps !== 'object') return { error: 'it has no `maps:` section' };
  const out: Record<string, MetricMap> = {};
  for (const [name, raw] of Object.entries(maps)) {
    const parsed = metricMapSchema.safeParse(raw);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return { error: `maps.${name}${issue ? `.${formatPath(issue.path)}: ${issue.message}` : ''}` };
    }
    out[name] = parsed.data;
  }
  return { maps: out };
}
