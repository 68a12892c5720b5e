#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { App } from './app.js';
import { describe } from './channels/content.js';
import { createChannel, targetsOf, type ReceiverConfig } from './channels/registry.js';
import type { Notification } from './model/notification.js';
import { forTarget } from './worker/queues.js';
import { ConfigError, loadConfig } from './config/load.js';
import { createLogger } from './ops/logger.js';
import { readRecording, ReplayInputError } from './replay/read.js';
import { formatReplay, replay } from './replay/replay.js';

const USAGE = `usage: klaxon <command> [options]

commands:
  serve                 HTTP API, worker and scheduler in one process (the default)
  worker                worker and scheduler only; run any number against one Redis
  check-config          validate the configuration and print every problem
  test-channel NAME     send a test notification to receiver NAME
  replay FILE           run the rules over recorded data (JSONL or CSV timestamp,value) and print
                        what would have fired and resolved, and what would have been sent; sends nothing

options:
  --config FILE         configuration file (default: $KLAXON_CONFIG or config/klaxon.yaml)
`;

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
    },
    strict: false,
  });
  const [command = 'serve', ...rest] = positionals;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
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
      const app = await App.start({ config, role: command, logger });
      await new Promise<void>((resolve) => {
        const stop = (signal: string) => {
          logger.info({ signal }, 'shutting down: finishing jobs in flight');
          void app.stop().then(resolve);
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
        process.stderr.write('usage: klaxon replay FILE [--config C] [--source S] [--metric M] [--json]\n');
        return 2;
      }
      const records = readRecording(input, {
        source: typeof values.source === 'string' ? values.source : undefined,
        metric: typeof values.metric === 'string' ? values.metric : undefined,
      });
      const result = replay(config, records);
      process.stdout.write(values.json ? JSON.stringify(result, null, 2) + '\n' : formatReplay(result));
      return 0;
    }
    default:
      process.stderr.write(`unknown command ${command}\n${USAGE}`);
      return 2;
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
    if (err instanceof ReplayInputError) {
      process.stderr.write(`klaxon replay: ${err.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`klaxon: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
