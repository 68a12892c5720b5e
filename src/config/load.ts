import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseDocument } from 'yaml';
import type { z } from 'zod';
import type { RuleConfig } from '../detectors/rules/schema.js';
import { telegramBots } from '../channels/telegram/updates.js';
import { formatPath } from '../model/inputs.js';
import { RouteTree } from '../routing/routes.js';
import { DEFAULT_CONFIG, PRESETS_DIR } from './paths.js';
import { configSchema, type KlaxonConfig } from './schema.js';

/** One problem with the configuration: where it is, and what is wrong and how to fix it. */
export interface ConfigProblem {
  path: string;
  message: string;
}

export class ConfigError extends Error {
  constructor(
    readonly file: string,
    readonly problems: ConfigProblem[],
  ) {
    super(
      `${file}: ${problems.length} problem(s) in the configuration:\n` +
        problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
    this.name = 'ConfigError';
  }
}

export interface LoadedConfig {
  file: string;
  config: KlaxonConfig;
  /** Things that work but deserve a look (a preset rule naming a receiver that is not configured). */
  warnings: string[];
}

/**
 * Reads the YAML file, fills `${VAR}` / `${VAR:-default}` placeholders from the environment,
 * merges presets and validates everything. Throws a ConfigError listing every problem.
 */
export function loadConfig(
  file = process.env.KLAXON_CONFIG ?? DEFAULT_CONFIG,
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  const raw = readYaml(file, env);
  return validateConfig(raw, file, env);
}

export function validateConfig(
  raw: unknown,
  file: string,
  env: NodeJS.ProcessEnv = process.env,
): LoadedConfig {
  const problems: ConfigProblem[] = [];
  const warnings: string[] = [];
  const doc = (raw ?? {}) as Record<string, unknown>;

  // Presets come first; rules of the file itself replace preset rules of the same name.
  const presetRules: unknown[] = [];
  const presetInhibitions: unknown[] = [];
  const presets = Array.isArray(doc.presets) ? doc.presets : [];
  presets.forEach((p, i) => {
    if (typeof p !== 'string') return;
    const presetFile =
      p.endsWith('.yaml') || p.endsWith('.yml')
        ? path.resolve(path.dirname(file), p)
        : path.join(PRESETS_DIR, `${p}.yaml`);
    if (!existsSync(presetFile)) {
      problems.push({
        path: `presets[${i}]`,
        message: `no preset ${JSON.stringify(p)} (looked for ${presetFile})`,
      });
      return;
    }
    try {
      const preset = readYaml(presetFile, env) as { rules?: unknown[]; inhibit_rules?: unknown[] } | null;
      presetRules.push(...(preset?.rules ?? []));
      presetInhibitions.push(...(preset?.inhibit_rules ?? []));
    } catch (err) {
      if (err instanceof ConfigError)
        problems.push(...err.problems.map((q) => ({ ...q, path: `presets[${i}] ${q.path}` })));
      else throw err;
    }
  });
  const ownRules = Array.isArray(doc.rules) ? doc.rules : [];
  const ownNames = new Set(ownRules.map((r) => (r as { name?: unknown })?.name));
  const merged: Record<string, unknown> & { rules: unknown[] } = {
    ...doc,
    rules: [...presetRules.filter((r) => !ownNames.has((r as { name?: unknown })?.name)), ...ownRules],
  };
  // A preset's inhibit rules apply with the file's own, unless the file names one the same.
  if (presetInhibitions.length > 0) {
    const own = Array.isArray(doc.inhibit_rules) ? doc.inhibit_rules : [];
    const names = new Set(own.map((r) => (r as { name?: unknown })?.name).filter(Boolean));
    merged.inhibit_rules = [
      ...presetInhibitions.filter((r) => !names.has((r as { name?: unknown })?.name)),
      ...own,
    ];
  }
  const presetCount = merged.rules.length - ownRules.length;

  const parsed = configSchema.safeParse(merged);
  if (!parsed.success) {
    problems.push(...zodProblems(parsed.error, (p) => rulePath(p, presetCount)));
    throw new ConfigError(file, problems);
  }
  const config = parsed.data;
  problems.push(...crossCheck(config, warnings, presetCount));
  if (problems.length > 0) throw new ConfigError(file, problems);
  return { file, config, warnings };
}

/** Checks that need the whole config: names that refer to each other. */
function crossCheck(config: KlaxonConfig, warnings: string[], presetCount: number): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const receivers = new Set(Object.keys(config.receivers));
  const known = [...receivers].join(', ') || '(none)';
  for (const name of RouteTree.receiverNames(config.routes)) {
    if (!receivers.has(name))
      problems.push({
        path: 'routes',
        message: `route names receiver ${JSON.stringify(name)}, which is not configured under receivers (configured: ${known})`,
      });
  }
  problems.push(...telegramBots(config.receivers, config.server.public_url).problems);
  config.digest.receivers.forEach((name, i) => {
    const rc = config.receivers[name];
    if (!rc)
      problems.push({
        path: formatPath(['digest', 'receivers', i]),
        message: `digest names receiver ${JSON.stringify(name)}, which is not configured under receivers (configured: ${known})`,
      });
    else if (rc.type === 'pagerduty')
      problems.push({
        path: formatPath(['digest', 'receivers', i]),
        message: `receiver ${JSON.stringify(name)} is PagerDuty, which opens incidents: send the digest to email, chat or a webhook instead`,
      });
  });
  if ((config.routes.receivers ?? []).length === 0) {
    problems.push({
      path: 'routes.receivers',
      message: 'the root route needs at least one receiver: alerts no route matches go there',
    });
  }
  const seen = new Map<string, number>();
  const missingInPresets = new Map<string, string[]>();
  config.rules.forEach((rule: RuleConfig, i) => {
    const at = rulePath(['rules', i], presetCount);
    const before = seen.get(rule.name);
    if (before !== undefined)
      problems.push({
        path: `${at}.name`,
        message: `rule name ${rule.name} is used twice (also ${rulePath(['rules', before], presetCount)})`,
      });
    seen.set(rule.name, i);
    const missing = (rule.receivers ?? []).filter((r) => !receivers.has(r));
    if (missing.length > 0) {
      const msg = `rule ${rule.name} names receiver(s) ${missing.join(', ')} that are not configured; its alerts go to the others${missing.length === rule.receivers?.length ? ' (here: the route tree)' : ''}`;
      if (i < presetCount) missingInPresets.set(rule.name, missing);
      else
        problems.push({
          path: `${at}.receivers`,
          message: msg.replace(
            /; its alerts.*/,
            `: configure them under receivers or remove them (configured: ${known})`,
          ),
        });
    }
  });
  if (!config.server.auth) {
    const am = config.server.alertmanager.auth === true ? '' : '; POST /v1/alertmanager is open too';
    warnings.push(
      'server.auth is false: authentication is off and every request is admin. A request without a ' +
        'valid token is let through as "anonymous", which may push any source and use the admin API ' +
        `(list and acknowledge alerts, create and delete silences)${am}. Use it only for a local trial, ` +
        'never on an address others can reach: set server.auth to true (the default) and configure server.tokens',
    );
  }
  if (missingInPresets.size > 0) {
    const names = [...new Set([...missingInPresets.values()].flat())].sort();
    warnings.push(
      `${missingInPresets.size} preset rules name receivers that are not configured (${names.join(', ')}): ` +
        `their alerts go to the configured ones among them, or else to the route tree`,
    );
  }
  return problems;
}

/** Paths of merged rules point back to the preset or the file they came from. */
function rulePath(p: readonly PropertyKey[], presetCount: number): string {
  if (p[0] === 'rules' && typeof p[1] === 'number') {
    const i = p[1];
    const rest = formatPath(p.slice(2));
    return (i < presetCount ? `presets: rule ${i}` : `rules[${i - presetCount}]`) + (rest ? `.${rest}` : '');
  }
  return formatPath(p);
}

function zodProblems(err: z.ZodError, pathOf: (p: readonly PropertyKey[]) => string): ConfigProblem[] {
  const out: ConfigProblem[] = [];
  for (const issue of err.issues) {
    // A union (rule kinds) reports one issue per branch; the discriminator picks the right one already.
    if (issue.code === 'invalid_union' && 'errors' in issue && issue.errors.length > 0) {
      const best = issue.errors.reduce((a, b) => (a.length <= b.length ? a : b));
      for (const sub of best)
        out.push({ path: pathOf([...issue.path, ...sub.path]) || '(top level)', message: sub.message });
      continue;
    }
    let message = issue.message;
    if (issue.code === 'unrecognized_keys')
      message = `unknown key(s) ${issue.keys.join(', ')}: check the spelling (see config/klaxon.yaml for every option)`;
    if (issue.code === 'invalid_union' && issue.path.at(-1) === 'kind')
      message = 'kind is one of threshold, ratio, count, change, absence, event, anomaly';
    out.push({ path: pathOf(issue.path) || '(top level)', message });
  }
  return out;
}

function readYaml(file: string, env: NodeJS.ProcessEnv): unknown {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(file, [
      {
        path: '(file)',
        message: `cannot read it: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`,
      },
    ]);
  }
  const doc = parseDocument(text, { prettyErrors: true });
  if (doc.errors.length > 0) {
    throw new ConfigError(
      file,
      doc.errors.map((e) => ({
        path: `line ${e.linePos?.[0].line ?? '?'}`,
        message: e.message.split('\n')[0] ?? e.message,
      })),
    );
  }
  const problems: ConfigProblem[] = [];
  const value = substitute(doc.toJS(), env, [], problems);
  if (problems.length > 0) throw new ConfigError(file, problems);
  return value;
}

const PLACEHOLDER = /\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}/g;

/**
 * Replaces `${VAR}` and `${VAR:-default}` in every string. A string that is only a placeholder
 * and whose value is a number (that reads back unchanged) or a boolean becomes one
 * (`port: ${PORT:-8080}`); fields that want text take such a number back as text (a password
 * of digits: see `asText` in channels/receiver-schema.ts).
 */
function substitute(
  v: unknown,
  env: NodeJS.ProcessEnv,
  at: PropertyKey[],
  problems: ConfigProblem[],
): unknown {
  if (typeof v === 'string') {
    const whole = /^\$\{[^}]+\}$/.test(v);
    const out = v.replace(PLACEHOLDER, (_m, name: string, fallback: string | undefined) => {
      const value = env[name];
      if (value !== undefined && value !== '') return value;
      if (fallback !== undefined) return fallback;
      problems.push({
        path: formatPath(at),
        message: `environment variable ${name} is not set: export it, or write \${${name}:-default}`,
      });
      return '';
    });
    if (whole && out !== v) {
      // Only a number that reads back the same (a port, a count): a 19-digit id stays text.
      if (/^-?\d+(\.\d+)?$/.test(out) && String(Number(out)) === out) return Number(out);
      if (out === 'true' || out === 'false') return out === 'true';
    }
    return out;
  }
  if (Array.isArray(v)) return v.map((x, i) => substitute(x, env, [...at, i], problems));
  if (v && typeof v === 'object') {
    return Object.fromEntries(
      Object.entries(v).map(([k, x]) => [k, substitute(x, env, [...at, k], problems)]),
    );
  }
  return v;
}
