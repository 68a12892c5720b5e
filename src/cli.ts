#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { App, DEFAULT_SHUTDOWN_GRACE } from './app.js';
import { describe } from './channels/content.js';
import { createChannel, targetsOf, type ReceiverConfig } from './channels/registry.js';
import type { Notification } from './model/notification.js';
import { forTarget } from './worker/queues.js';
import { ConfigError, loadConfig } from './config/load.js';
import { tryParseDuration } from './model/duration.js';
import { createLogger } from './ops/logger.js';
import { readRecording, ReplayInputError } from './replay/read.js';
import { formatReplay, replay } from './replay/replay.js';

const CONFIG_OPTION = `  --config FILE               configuration file (default: $KLAXON_CONFIG, else config/klaxon.yaml)`;

const USAGE = `usage: klaxon <command> [options]

commands:
  serve                 HTTP API, worker and scheduler in one process (the default)
  worker                worker and scheduler only; run any number against one Redis
  check-config          validate the configuration and print every problem
  test-channel NAME     send a test notification to receiver NAME
  replay FILE           run the rules over recorded data (JSONL or CSV timestamp,value) and print
                        what would have fired and resolved, and what would have been sent; sends nothing
  help [COMMAND]        this text, or the options of one command

options:
  --config FILE         configuration file (default: $KLAXON_CONFIG or config/klaxon.yaml)

Run \`klaxon COMMAND --help\` (or \`klaxon help COMMAND\`) for the options of a command.
`;

const SHUTDOWN = `On SIGTERM or SIGINT it stops taking work and lets running jobs finish for the grace, then
cuts them short and exits, whether Redis answers or not. A job cut short runs again on another
worker once its lock expires (queue.lock_duration). A second signal ends the process at once.`;

const GRACE_OPTION = `  --shutdown-grace DURATION   how long running jobs get to finish on SIGTERM or SIGINT before
                              they are cut short (default 25s; e.g. 10s, 500ms)`;

/** Each command's own help: `klaxon COMMAND --help` and `klaxon help COMMAND`. */
const HELP: Record<string, string> = {
  serve: `usage: klaxon serve [--config FILE] [--shutdown-grace DURATION]

Runs the HTTP API, the workers and the timer scheduler in one process (the default command;
npm start). It waits for Redis before it listens.

${SHUTDOWN}

options:
${CONFIG_OPTION}
${GRACE_OPTION}
`,
  worker: `usage: klaxon worker [--config FILE] [--shutdown-grace DURATION]

Runs the workers and the timer scheduler, without HTTP. Run any number of them against one Redis
(same redis.prefix, queue.shards and rules). It waits for Redis before it works.

${SHUTDOWN}

options:
${CONFIG_OPTION}
${GRACE_OPTION}
`,
  'check-config': `usage: klaxon check-config [--config FILE]

Validates the configuration. Prints the warnings and a summary and exits 0, or prints every
problem (where it is and how to fix it) and exits 2. Needs neither Redis nor the network.

options:
${CONFIG_OPTION}
`,
  'test-channel': `usage: klaxon test-channel NAME [--config FILE]

Checks the credentials of receiver NAME, sends it a test notification directly (not through the
queue) and prints what the service answered. Exits 0 when sent, 1 when the send failed, 2 for an
unknown receiver or a configuration error.

options:
${CONFIG_OPTION}
`,
  replay: `usage: klaxon replay FILE [--config FILE] [--source S] [--metric M] [--json]

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
`,
  help: `usage: klaxon help [COMMAND]

Prints the list of commands, or the usage and options of COMMAND.
`,
};

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      source: { type: 'string' },
      metric: { type: 'string' },
      json: { type: 'boolean' },
      'shutdown-grace': { type: 'string' },
    },
    strict: false,
  });
  const [command = 'serve', ...rest] = positionals;
  if (command === 'help') {
    const topic = values.help ? 'help' : rest[0];
    if (topic === undefined) {
      process.stdout.write(USAGE);
      return 0;
    }
    const text = HELP[topic];
    if (text === undefined) {
      process.stderr.write(`unknown command ${topic}\n${USAGE}`);
      return 2;
    }
    process.stdout.write(text);
    return 0;
  }
  const help = HELP[command];
  if (help === undefined) {
    process.stderr.write(`unknown command ${command}\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    // `klaxon --help` alone is the list of commands; `klaxon serve --help` is serve's own.
    process.stdout.write(positionals.length === 0 ? USAGE : help);
    return 0;
  }

  let shutdownGrace: number | undefined;
  const graceOption = values['shutdown-grace'];
  if (graceOption !== undefined) {
    shutdownGrace = typeof graceOption === 'string' ? tryParseDuration(graceOption) : undefined;
    if (shutdownGrace === undefined || shutdownGrace <= 0) {
      process.stderr.write(
        `klaxon ${command}: --shutdown-grace takes a duration such as 25s or 500ms, not ${JSON.stringify(graceOption)}\n`,
      );
      return 2;
    }
  }

  const configFile = typeof values.config === 'string' ? values.config : undefined;
  let loaded;
  try {
    loaded = loadConfig(configFile);
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(err.message + '\n');
      return 2;
    }
    throw err;
  }
  const { config, warnings, file } = loaded;

  switch (command) {
    case 'check-config': {
      for (const w of warnings) process.stdout.write(`warning: ${w}\n`);
      process.stdout.write(
        `${file}: ok (${config.rules.length} rules, ${Object.keys(config.receivers).length} receivers, ${config.queue.shards} shards)\n`,
      );
      return 0;
    }
    case 'serve':
    case 'worker': {
      const logger = createLogger({ level: config.log.level });
      for (const w of warnings) logger.warn(w);
      const devTokens = [...config.server.tokens.map((t) => t.token), config.server.alertmanager.token ?? ''];
      if (devTokens.some((t) => t.includes('change-me'))) {
        logger.warn(
          'a development token from config/klaxon.yaml is in use: set KLAXON_TOKEN and KLAXON_ALERTMANAGER_TOKEN',
        );
      }
      const grace = shutdownGrace ?? DEFAULT_SHUTDOWN_GRACE;
      const app = await App.start({ config, role: command, logger, shutdownGrace: grace });
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal, graceMs: grace }, 'shutting down: finishing jobs in flight');
          // App.stop() is bounded; this is the last resort should anything still hang.
          setTimeout(() => {
            logger.error({ signal }, 'shutdown did not finish in time: exiting anyway');
            process.exit(1);
          }, grace + SHUTDOWN_BACKSTOP).unref();
          void app.stop().then(() => {
            logger.info('stopped');
            resolve();
          });
        };
        process.once('SIGTERM', () => stop('SIGTERM'));
        process.once('SIGINT', () => stop('SIGINT'));
      });
      return 0;
    }
    case 'test-channel': {
      const name = rest[0];
      const rc = name ? config.receivers[name] : undefined;
      if (!name || !rc) {
        process.stderr.write(
          `no receiver ${JSON.stringify(name ?? '')}; configured: ${Object.keys(config.receivers).join(', ')}\n`,
        );
        return 2;
      }
      const channel = createChannel(name, rc);
      try {
        const verified = await channel.verify?.(AbortSignal.timeout(15_000));
        if (verified) process.stdout.write(`${name}: ${verified}\n`);
        for (const n of testNotifications(name, rc, Date.now())) {
          const outcome = await channel.send({
            notification: n,
            content: describe(n, { publicUrl: config.server.public_url }),
            signal: AbortSignal.timeout(config.queue.delivery.timeout),
            now: n.createdAt,
          });
          const where = n.target === undefined ? name : `${name} (${n.target})`;
          process.stdout.write(`sent a test notification to ${where}: ${outcome.detail ?? 'ok'}\n`);
          for (const r of outcome.rejected ?? [])
            process.stdout.write(`  refused: ${r.target}: ${r.reason}\n`);
        }
        return 0;
      } catch (err) {
        process.stderr.write(`${name}: ${(err as Error).message}\n`);
        return 1;
      } finally {
        await channel.close?.();
      }
    }
    case 'replay': {
      const input = rest[0];
      if (!input) {
        process.stderr.write(HELP.replay ?? '');
        return 2;
      }
      let records;
      try {
        records = readRecording(input, {
          source: typeof values.source === 'string' ? values.source : undefined,
          metric: typeof values.metric === 'string' ? values.metric : undefined,
        });
      } catch (err) {
        const why = unreadable(err);
        if (why === undefined && !(err instanceof ReplayInputError)) throw err;
        process.stderr.write(`klaxon replay: ${input}: ${why ?? (err as Error).message}\n`);
        return 2;
      }
      const result = replay(config, records);
      process.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : formatReplay(result));
      return 0;
    }
    default:
      // Every command of HELP is handled above.
      process.stderr.write(`unknown command ${command}\n${USAGE}`);
      return 2;
  }
}

/** After the grace and App.stop()'s own bound, the CLI exits whatever still runs (ms). */
const SHUTDOWN_BACKSTOP = 10_000;

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

/** The notification `klaxon test-channel` sends: one per target of the receiver. */
function testNotifications(receiver: string, rc: ReceiverConfig, now: number): Notification[] {
  const n: Notification = {
    id: `test.${receiver}.${now}`,
    receiver,
    kind: 'test',
    thread: `test.${now}`,
    createdAt: now,
    alerts: [
      {
        fingerprint: `test-${now}`,
        name: 'klaxon_test',
        status: 'firing',
        severity: 'info',
        labels: { source: 'klaxon' },
        annotations: {
          title: `test notification to ${receiver}`,
          message: `If you read this, receiver ${receiver} works.`,
        },
        startsAt: now,
        occurrences: 1,
      },
    ],
  };
  return targetsOf(rc).map((t) => forTarget(n, t));
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`klaxon: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
