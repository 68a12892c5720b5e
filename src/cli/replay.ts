/** `klaxon replay FILE`: the rules and the life cycle over recorded inputs, sending nothing. */
import { parseFlags, type Command } from './command.js';
import { CONFIG_OPTION, loadConfigOr2 } from './config.js';

const HELP = `usage: klaxon replay FILE [--config FILE] [--source S] [--metric M] [--json]

Runs the configured rules, detectors, life cycle and routing over recorded inputs, with the
file's timestamps as the clock, and prints which alerts would have fired and resolved and what
would have been sent. Sends nothing; Redis is not needed. FILE is JSONL of snapshots, events and
alerts (one per line, as the API takes them) or a CSV series with the header timestamp,value.
Exits 2 when FILE cannot be read or has a bad line.

options:
${CONFIG_OPTION}
  --source S                  the source of a CSV series (default: the file's name)
  --metric M                  the metric of a CSV series (default: value)
  --json                      print the result as JSON
`;

export const replayCommand: Command = {
  name: 'replay',
  summary: `run the rules over recorded data (JSONL, or CSV timestamp,value) and print
    what would have fired, resolved and been sent; sends nothing`,
  help: HELP,
  async run(args) {
    const { values, positionals } = parseFlags(
      args,
      {
        config: { type: 'string' },
        source: { type: 'string' },
        metric: { type: 'string' },
        json: { type: 'boolean' },
      },
      true,
    );
    const input = positionals[0];
    if (!input) {
      process.stderr.write(HELP);
      return 2;
    }
    const loaded = await loadConfigOr2(values.config);
    if (loaded === 2) return 2;
    const [{ readRecording, ReplayInputError }, { formatReplay, replay }] = await Promise.all([
      import('../replay/read.js'),
      import('../replay/replay.js'),
    ]);
    let records;
    try {
      records = readRecording(input, { source: values.source, metric: values.metric });
    } catch (err) {
      const why = unreadable(err);
      if (why === undefined && !(err instanceof ReplayInputError)) throw err;
      process.stderr.write(`klaxon replay: ${input}: ${why ?? (err as Error).message}\n`);
      return 2;
    }
    const result = await replay(loaded.config, records);
    process.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : formatReplay(result));
    return 0;
  },
};

/** Why a file could not be read, in words, or undefined when `err` is not about reading it. */
function unreadable(err: unknown): string | undefined {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  switch (code) {
    case 'ENOENT':
      return 'no such file';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EISDIR':
      return 'is a directory, not a file';
    case 'ENOTDIR':
      return 'a part of the path is not a directory';
    default:
      return typeof code === 'string' && err instanceof Error && 'syscall' in err
        ? `cannot read it (${code})`
        : undefined;
  }
}
