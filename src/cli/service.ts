/** `klaxon serve` and `klaxon worker`: the long-running processes. */
import path from 'node:path';
import type { KlaxonConfig } from '../config/schema.js';
import { tryParseDuration } from '../model/duration.js';
import type { Logger } from '../ops/logger.js';
import { redisWhere } from '../state/redis-connect.js';
import {
  noRedisMessage,
  redisAnswers,
  redisServerOnPath,
  startLocalRedis,
  type LocalRedis,
} from './local-redis.js';
import { parseFlags, type Command } from './command.js';
import { CONFIG_OPTION, loadConfigOr2 } from './config.js';

const SHUTDOWN = `On SIGTERM or SIGINT it stops taking work and lets running jobs finish for the grace, then
cuts them short and exits, whether Redis answers or not. A job cut short runs again on another
worker once its lock expires (queue.lock_duration). A second signal ends the process at once.`;

const GRACE_OPTION = `  --shutdown-grace DURATION   how long running jobs get to finish on SIGTERM or SIGINT before
                              they are cut short (default 25s; e.g. 10s, 500ms)
  --local-redis               when no Redis answers at redis.url (this machine), run redis-server
                              (from PATH) there, with its data in var/redis/ (append-only file),
                              and stop it on exit`;

/** After the grace and App.stop()'s own bound, the CLI exits whatever still runs (ms). */
const SHUTDOWN_BACKSTOP = 10_000;

async function runService(role: 'serve' | 'worker', args: string[]): Promise<number> {
  const { values } = parseFlags(args, {
    config: { type: 'string' },
    'shutdown-grace': { type: 'string' },
    'local-redis': { type: 'boolean' },
  });
  let shutdownGrace: number | undefined;
  const graceOption = values['shutdown-grace'];
  if (graceOption !== undefined) {
    shutdownGrace = tryParseDuration(graceOption);
    if (shutdownGrace === undefined || shutdownGrace <= 0) {
      process.stderr.write(
        `klaxon ${role}: --shutdown-grace takes a duration such as 25s or 500ms, not ${JSON.stringify(graceOption)}\n`,
      );
      return 2;
    }
  }
  const loaded = await loadConfigOr2(values.config);
  if (loaded === 2) return 2;
  const { config, warnings } = loaded;
  const [{ App, DEFAULT_SHUTDOWN_GRACE }, { createLogger }] = await Promise.all([
    import('../app.js'),
    import('../ops/logger.js'),
  ]);
  const logger = createLogger({ level: config.log.level });
  for (const w of warnings) logger.warn(w);
  const devTokens = [...config.server.tokens.map((t) => t.token), config.server.alertmanager.token ?? ''];
  if (devTokens.some((t) => t.includes('change-me'))) {
    logger.warn(
      'a development token from config/klaxon.yaml is in use: set KLAXON_TOKEN and KLAXON_ALERTMANAGER_TOKEN',
    );
  }
  const local = await prepareRedis(config, role, values['local-redis'] === true, logger);
  if (local === 2) return 2;
  const grace = shutdownGrace ?? DEFAULT_SHUTDOWN_GRACE;
  let app: Awaited<ReturnType<typeof App.start>>;
  try {
    app = await App.start({ config, role, logger, shutdownGrace: grace });
  } catch (err) {
    await local?.stop();
    throw err;
  }
  await new Promise<void>((resolve) => {
    const stop = (signal: string) => {
      logger.info({ signal, graceMs: grace }, 'shutting down: finishing jobs in flight');
      // App.stop() is bounded; this is the last resort should anything still hang.
      setTimeout(() => {
        logger.error({ signal }, 'shutdown did not finish in time: exiting anyway');
        process.exit(1);
      }, grace + SHUTDOWN_BACKSTOP).unref();
      void app
        .stop()
        .then(() => local?.stop())
        .then(() => {
          logger.info('stopped');
          resolve();
        });
    };
    process.once('SIGTERM', () => stop('SIGTERM'));
    process.once('SIGINT', () => stop('SIGINT'));
  });
  return 0;
}

/**
 * Before the service waits for Redis: with `--local-redis`, starts one when none answers; without
 * it, says in one paragraph why the service waits and how to get a Redis. 2: it cannot start one.
 */
async function prepareRedis(
  config: KlaxonConfig,
  role: string,
  wanted: boolean,
  logger: Logger,
): Promise<LocalRedis | undefined | 2> {
  const answers = await redisAnswers(config.redis);
  if (!wanted) {
    if (!answers) process.stderr.write(noRedisMessage(config.redis, role, redisServerOnPath()));
    return undefined;
  }
  if (answers) {
    logger.info(
      { redis: redisWhere(config.redis) },
      '--local-redis: a Redis already answers there, using it',
    );
    return undefined;
  }
  const binary = redisServerOnPath();
  if (!binary) {
    process.stderr.write(
      `klaxon ${role} --local-redis: redis-server is not on PATH.\n\n${noRedisMessage(config.redis, role)}`,
    );
    return 2;
  }
  const dir = path.resolve('var', 'redis');
  try {
    const local = await startLocalRedis(config.redis, {
      dir,
      binary,
      onExit: (code) =>
        logger.error({ code }, 'the local redis-server stopped: Klaxon waits for a Redis to answer again'),
    });
    logger.info(
      { redis: redisWhere(config.redis), dir },
      'started a local redis-server (append-only file in dir)',
    );
    return local;
  } catch (err) {
    process.stderr.write(`klaxon ${role} --local-redis: ${(err as Error).message}\n`);
    return 2;
  }
}

export const serveCommand: Command = {
  name: 'serve',
  summary: 'HTTP API, worker and scheduler in one process (the default)',
  help: `usage: klaxon serve [--config FILE] [--shutdown-grace DURATION] [--local-redis]

Runs the HTTP API, the workers and the timer scheduler in one process (the default command;
npm start). It waits for Redis before it listens.

${SHUTDOWN}

options:
${CONFIG_OPTION}
${GRACE_OPTION}
`,
  run: (args) => runService('serve', args),
};

export const workerCommand: Command = {
  name: 'worker',
  summary: 'worker and scheduler only; run any number against one Redis',
  help: `usage: klaxon worker [--config FILE] [--shutdown-grace DURATION] [--local-redis]

Runs the workers and the timer scheduler, without HTTP. Run any number of them against one Redis
(same redis.prefix, queue.shards and rules). It waits for Redis before it works.

${SHUTDOWN}

options:
${CONFIG_OPTION}
${GRACE_OPTION}
`,
  run: (args) => runService('worker', args),
};
