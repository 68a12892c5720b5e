#!/usr/bin/env node
/**
 * `klaxon`: finds the command (and a group's subcommand), answers `--help` and `help`, and runs
 * it. The commands live in src/cli/, one file per group; each loads only what it needs.
 */
import { parseArgs } from 'node:util';
import { ackCommand, alertCommand, alertsCommand } from './cli/alerts.js';
import { runCommand, type Command } from './cli/command.js';
import { checkConfigCommand } from './cli/config.js';
import { digestCommand } from './cli/digest.js';
import { replayCommand } from './cli/replay.js';
import { serveCommand, workerCommand } from './cli/service.js';
import { silenceCommand } from './cli/silence.js';
import { testChannelCommand } from './cli/test-channel.js';

const helpCommand: Command = {
  name: 'help',
  summary: 'this text, or the options of one command',
  help: `usage: klaxon help [COMMAND [SUBCOMMAND]]

Prints the list of commands, or the usage and options of COMMAND (\`klaxon help silence add\`).
`,
  run: async (args) => help(args),
};

const COMMANDS: Command[] = [
  serveCommand,
  workerCommand,
  checkConfigCommand,
  testChannelCommand,
  replayCommand,
  digestCommand,
  alertsCommand,
  alertCommand,
  ackCommand,
  silenceCommand,
  helpCommand,
];
const BY_NAME = new Map(COMMANDS.map((c) => [c.name, c]));

/** The list's first column: the command and its arguments. */
const SYNOPSIS: Record<string, string> = {
  'test-channel': 'test-channel NAME',
  replay: 'replay FILE',
  alert: 'alert FINGERPRINT',
  ack: 'ack FINGERPRINT',
  silence: 'silence add|list|expire',
  help: 'help [COMMAND]',
};

const COLUMN = 26;
const USAGE = `usage: klaxon <command> [options]

commands:
${COMMANDS.map((c) => `  ${(SYNOPSIS[c.name] ?? c.name).padEnd(COLUMN)}${c.summary.replace(/\n\s*/g, `\n${' '.repeat(COLUMN + 2)}`)}`).join('\n')}

options:
  --config FILE             configuration file (default: $KLAXON_CONFIG or config/klaxon.yaml)
  --url URL                 a running Klaxon (alerts, alert, ack, silence; default: $KLAXON_URL,
                            else http://127.0.0.1:8080)
  --token TOKEN             an admin token for it (default: $KLAXON_TOKEN)

Run \`klaxon COMMAND --help\` (or \`klaxon help COMMAND\`) for the options of a command.
`;

const isHelp = (a: string) => a === '--help' || a === '-h';

/** The command named by `words` (descending into a group), and the words left over. */
function lookUp(words: string[]): { cmd?: Command; rest: string[] } {
  const [name, ...rest] = words;
  let cmd = name === undefined ? undefined : BY_NAME.get(name);
  if (!cmd) return { rest: words };
  while (cmd.subcommands && rest[0] !== undefined && cmd.subcommands[rest[0]]) {
    cmd = cmd.subcommands[rest[0]] as Command;
    rest.shift();
  }
  return { cmd, rest };
}

function unknown(name: string): number {
  process.stderr.write(`unknown command ${name}\n${USAGE}`);
  return 2;
}

/** `klaxon help [COMMAND [SUBCOMMAND]]`. */
function help(words: string[]): number {
  if (words.some(isHelp)) {
    process.stdout.write(helpCommand.help);
    return 0;
  }
  if (words.length === 0) {
    process.stdout.write(USAGE);
    return 0;
  }
  const { cmd, rest } = lookUp(words);
  if (!cmd || rest.length > 0) return unknown(words.join(' '));
  process.stdout.write(cmd.help);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  // Options before any command: the default command, serve (`klaxon --config FILE`).
  if (argv.length === 0 || argv[0]?.startsWith('-')) {
    if (argv.some(isHelp)) {
      process.stdout.write(USAGE);
      return 0;
    }
    const { tokens } = parseArgs({
      args: argv,
      options: { config: { type: 'string' }, 'shutdown-grace': { type: 'string' } },
      allowPositionals: true,
      strict: false,
      tokens: true,
    });
    const named = tokens.find((t) => t.kind === 'positional');
    if (!named) return runCommand(serveCommand, argv);
    const cmd = BY_NAME.get(named.value);
    if (!cmd) return unknown(named.value);
    return runCommand(
      cmd,
      argv.filter((_, i) => i !== named.index),
    );
  }
  const { cmd, rest } = lookUp(argv);
  if (!cmd) return unknown(argv[0] as string);
  if (cmd === helpCommand) return help(rest);
  if (rest.some(isHelp)) {
    process.stdout.write(cmd.help);
    return 0;
  }
  return runCommand(cmd, rest);
}

/** Exits once what was written to stdout has gone out (a pipe may still hold a long table). */
function exit(code: number): void {
  process.stdout.write('', () => process.exit(code));
}

main(process.argv.slice(2)).then(
  (code) => exit(code),
  (err: unknown) => {
    process.stderr.write(`klaxon: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
