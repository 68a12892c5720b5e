/**
 * What every `klaxon` command shares: its shape (name, help, run), the two kinds of failure and
 * their exit codes, and strict option parsing that turns a mistake into one line of usage error.
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';

export interface Command {
  /** `alerts`, `silence add`. */
  name: string;
  /** One line for the list of commands (`klaxon help`). */
  summary: string;
  /** The command's own `--help`, starting `usage: klaxon NAME`. */
  help: string;
  /** Exit code: 0 done, 1 failed (the service, the network), 2 bad usage or configuration. */
  run(args: string[]): Promise<number>;
  /** A group (`silence`): its commands, by name. */
  subcommands?: Record<string, Command>;
}

/** A mistake in how the command was called: exit 2, with one line that says what to fix. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** The command could not do its work (the server refused, the network failed): exit 1. */
export class CliError extends Error {
  override readonly name = 'CliError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/**
 * Parses a command's arguments strictly: an unknown option, a missing value or a stray
 * argument is a UsageError naming it.
 */
export function parseFlags<O extends Options>(
  args: string[],
  options: O,
  positionals = false,
): ReturnType<typeof parseArgs<{ args: string[]; options: O; allowPositionals: boolean; strict: true }>> {
  try {
    return parseArgs({ args, options, allowPositionals: positionals, strict: true });
  } catch (err) {
    throw new UsageError(usageMessage(err as Error & { code?: string }));
  }
}

/** Node's parseArgs messages, shortened to what to fix. */
function usageMessage(err: Error & { code?: string }): string {
  const m = err.message;
  switch (err.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const opt = /'([^']+)'/.exec(m)?.[1];
      return opt ? `unknown option ${opt}` : m;
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      const opt = /Option '(?:-\w, )?(--[\w-]+)/.exec(m)?.[1];
      if (!opt) return m.split('\n')[0] ?? m;
      if (m.includes('does not take an argument')) return `${opt} takes no value`;
      return `${opt} takes a value (one that starts with - is written ${opt}=-value)`;
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL': {
      const arg = /'([^']*)'/.exec(m)?.[1];
      return arg !== undefined ? `unexpected argument ${JSON.stringify(arg)}` : m;
    }
    default:
      return m;
  }
}

/** Runs a command and turns its failures into one line on stderr and the exit code. */
export async function runCommand(cmd: Command, args: string[]): Promise<number> {
  try {
    return await cmd.run(args);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`klaxon ${cmd.name}: ${err.message} (see klaxon ${cmd.name} --help)\n`);
      return 2;
    }
    if (err instanceof CliError) {
      process.stderr.write(`klaxon ${cmd.name}: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
