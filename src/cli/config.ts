/** `klaxon check-config`, and loading the configuration for the commands that need it. */
import type { KlaxonConfig } from '../config/schema.js';
import { parseFlags, type Command } from './command.js';

export const CONFIG_OPTION = `  --config FILE               configuration file (default: $KLAXON_CONFIG, else config/klaxon.yaml)`;

/**
 * Loads the configuration (`--config`, else $KLAXON_CONFIG, else config/klaxon.yaml). A problem
 * is printed as the loader words it, and the answer is the exit code 2.
 */
export async function loadConfigOr2(
  file: string | undefined,
): Promise<{ config: KlaxonConfig; warnings: string[]; file: string } | 2> {
  // Loaded here, not at the top: the schema pulls in every channel and detector, which the
  // operator commands do not need.
  const { ConfigError, loadConfig } = await import('../config/load.js');
  try {
    return loadConfig(file);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      return 2;
    }
    throw err;
  }
}

export const checkConfigCommand: Command = {
  name: 'check-config',
  summary: 'validate the configuration and print every problem',
  help: `usage: klaxon check-config [--config FILE]

Validates the configuration. Prints the warnings and a summary and exits 0, or prints every
problem (where it is and how to fix it) and exits 2. Needs neither Redis nor the network.

options:
${CONFIG_OPTION}
`,
  async run(args) {
    const { values } = parseFlags(args, { config: { type: 'string' } });
    const loaded = await loadConfigOr2(values.config);
    if (loaded === 2) return 2;
    const { config, warnings, file } = loaded;
    for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
    process.stdout.write(
      `${file}: ok (${config.rules.length} rules, ${Object.keys(config.receivers).length} receivers, ${config.queue.shards} shards)\n`,
    );
    return 0;
  },
};
