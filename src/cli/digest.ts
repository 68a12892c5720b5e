/** `klaxon digest`: the daily digest of a window, printed and (unless --no-send) sent now. */
import { writeFileSync } from 'node:fs';
import type { KlaxonConfig } from '../config/schema.js';
import type { DigestReport } from '../digest/types.js';
import type { Notification } from '../model/notification.js';
import { CliError, parseFlags, UsageError, type Command } from './command.js';
import { CONFIG_OPTION, loadConfigOr2 } from './config.js';

const FORMATS = ['text', 'json', 'html'] as const;

const HELP = `usage: klaxon digest [--date YYYY-MM-DD] [--source S] [--lookback-hours N]
                     [--format text|json|html] [--no-send] [--out FILE] [--config FILE]

Computes the digest from what Klaxon recorded in Redis, prints it, and sends it to the
receivers of digest.receivers (email gets the whole report with its charts, chat receivers
the headline figures). Without --date the window ends now; with it, at that date's scheduled
time (digest.schedule in digest.time_zone), as the scheduled digest of that day would.

options:
${CONFIG_OPTION}
  --date YYYY-MM-DD           the digest scheduled on that date (default: a window ending now)
  --source S                  one source only (default: every source, and all of them together)
  --lookback-hours N          the window's length (default: digest.lookback, 24 hours)
  --format text|json|html     what to print (default: text; html is a page with its charts inline)
  --no-send                   print only
  --out FILE                  write to FILE instead of standard output
`;

export const digestCommand: Command = {
  name: 'digest',
  summary: 'print the daily digest of a window and send it to the digest receivers',
  help: HELP,
  async run(args) {
    const { values } = parseFlags(args, {
      config: { type: 'string' },
      date: { type: 'string' },
      source: { type: 'string' },
      'lookback-hours': { type: 'string' },
      format: { type: 'string', default: 'text' },
      'no-send': { type: 'boolean', default: false },
      out: { type: 'string' },
    });
    const format = values.format as (typeof FORMATS)[number];
    if (!FORMATS.includes(format)) throw new UsageError(`--format is one of: ${FORMATS.join(', ')}`);
    const hours = values['lookback-hours'];
    if (
      hours !== undefined &&
      !(/^\d+(\.\d+)?$/.test(hours) && Number(hours) > 0 && Number(hours) <= 24 * 31)
    )
      throw new UsageError('--lookback-hours takes a number of hours above 0, at most 744 (31 days)');
    const { isCalendarDate } = await import('../digest/schedule.js');
    if (values.date !== undefined && !isCalendarDate(values.date))
      throw new UsageError(`--date takes a calendar date as YYYY-MM-DD, not ${JSON.stringify(values.date)}`);

    const loaded = await loadConfigOr2(values.config);
    if (loaded === 2) return 2;
    const { config } = loaded;
    const d = config.digest;
    const now = Date.now();
    const send = !values['no-send'];
    if (send && d.receivers.length === 0)
      throw new UsageError(
        'digest.receivers names no receiver to send to: configure one, or print with --no-send',
      );

    const [{ connectRedis, redisWhere }, { Keys }, { DigestRunner, NoDigestSlot }, { createLogger }] =
      await Promise.all([
        import('../state/redis-connect.js'),
        import('../state/keys.js'),
        import('../digest/digest-runner.js'),
        import('../ops/logger.js'),
      ]);
    const redis = connectRedis(config.redis, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: 5000,
      retryStrategy: () => null,
    });
    redis.on('error', () => undefined);
    const runner = new DigestRunner({
      config,
      redis,
      keys: new Keys(config.redis.prefix, config.queue.shards),
      deliver: async () => undefined,
      clock: () => now,
      logger: createLogger({ level: 'silent' }),
    });
    let window;
    try {
      window = runner.windowFor(
        {
          ...(values.date !== undefined ? { date: values.date } : {}),
          ...(hours !== undefined ? { lookbackMs: Number(hours) * 3_600_000 } : {}),
        },
        now,
      );
    } catch (err) {
      if (err instanceof NoDigestSlot) throw new UsageError(err.message);
      throw err;
    }
    try {
      try {
        await redis.connect();
      } catch (err) {
        throw new CliError(`cannot reach Redis at ${redisWhere(config.redis)}: ${(err as Error).message}`);
      }
      const report = await runner.report(window, {
        generatedAt: now,
        ...(values.source !== undefined ? { source: values.source } : {}),
      });
      const output = await printed(report, format);
      if (values.out !== undefined) writeFileSync(values.out, output);
      else process.stdout.write(output);
      return send ? await sendNow(config, runner.notifications(report, window.end, now)) : 0;
    } finally {
      redis.disconnect();
    }
  },
};

async function printed(report: DigestReport, format: (typeof FORMATS)[number]): Promise<string> {
  if (format === 'json') return JSON.stringify(report, null, 2) + '\n';
  if (format === 'html') return (await import('../digest/digest-page.js')).digestPage(report);
  const { renderDigestText } = await import('../digest/render-text.js');
  return renderDigestText(report, { currency: report.currency ?? 'USD' });
}

/** Sends the digest straight to each receiver (and target), as `klaxon test-channel` does. */
async function sendNow(config: KlaxonConfig, notifications: Notification[]): Promise<number> {
  const [{ describe }, { createChannel, targetsOf }, { forTarget }] = await Promise.all([
    import('../channels/content.js'),
    import('../channels/registry.js'),
    import('../worker/queues.js'),
  ]);
  const { public_url: publicUrl, link_secret: linkSecret } = config.server;
  let failed = 0;
  for (const n of notifications) {
    const rc = config.receivers[n.receiver];
    if (!rc) continue;
    const channel = await createChannel(n.receiver, rc);
    try {
      for (const t of targetsOf(rc).map((target) => forTarget(n, target))) {
        const where = t.target === undefined ? t.receiver : `${t.receiver} (${t.target})`;
        try {
          const outcome = await channel.send({
            notification: t,
            content: describe(t, { publicUrl, linkSecret }),
            signal: AbortSignal.timeout(config.queue.delivery.timeout),
            now: t.createdAt,
          });
          process.stderr.write(`sent the digest to ${where}: ${outcome.detail ?? 'ok'}\n`);
        } catch (err) {
          failed++;
          process.stderr.write(`${where}: ${(err as Error).message}\n`);
        }
      }
    } finally {
      await channel.close?.();
    }
  }
  return failed > 0 ? 1 : 0;
}
