/**
 * A scraped source is expected to report: the absence rules whose sign of life a scrape gives
 * (any input, or `heartbeat`) watch it from Klaxon's first timer sweep, as if it were listed in
 * their `expect`. A target that never answers is then a bot down too, not only one that stopped.
 */
import type { KlaxonConfig } from '../config/schema.js';
import { globMatcher } from '../model/glob.js';
import { fixedSources } from './schema.js';

/**
 * The config with each scraped source added to those rules' `expect` (for a `heartbeat` rule,
 * only the sources of targets that give heartbeats). The same object when nothing changes.
 */
export function expectScrapedSources(config: KlaxonConfig): KlaxonConfig {
  const anyInput = fixedSources(config.scrape);
  const beating = fixedSources(config.scrape.filter((t) => t.heartbeat));
  if (anyInput.length === 0) return config;
  let changed = false;
  const rules = config.rules.map((rule) => {
    if (rule.kind !== 'absence' || (rule.event !== undefined && rule.event !== 'heartbeat')) return rule;
    const sources = rule.event === undefined ? anyInput : beating;
    const accepts = rule.match?.source === undefined ? () => true : globMatcher(rule.match.source);
    const expect = [...(rule.expect ?? [])];
    for (const s of sources) if (accepts(s) && !expect.includes(s)) expect.push(s);
    if (expect.length === (rule.expect ?? []).length) return rule;
    changed = true;
    return { ...rule, expect };
  });
  return changed ? { ...config, rules } : config;
}
