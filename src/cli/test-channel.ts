/** `klaxon test-channel NAME`: a test notification straight to one receiver. */
import type { Notification } from '../model/notification.js';
import { parseFlags, type Command } from './command.js';
import { CONFIG_OPTION, loadConfigOr2 } from './config.js';

export const testChannelCommand: Command = {
  name: 'test-channel',
  summary: 'send a test notification to receiver NAME',
  help: `usage: klaxon test-channel NAME [--config FILE]

Checks the credentials of receiver NAME, sends it a test notification directly (not through the
queue) and prints what the service answered. Exits 0 when sent, 1 when the send failed, 2 for an
unknown receiver or a configuration error.

options:
${CONFIG_OPTION}
`,
  async run(args) {
    const { values, positionals } = parseFlags(args, { config: { type: 'string' } }, true);
    const loaded = await loadConfigOr2(values.config);
    if (loaded === 2) return 2;
    const { config } = loaded;
    const name = positionals[0];
    const rc = name ? config.receivers[name] : undefined;
    if (!name || !rc) {
      process.stderr.write(
        `no receiver ${JSON.stringify(name ?? '')}; configured: ${Object.keys(config.receivers).join(', ')}\n`,
      );
      return 2;
    }
    const [{ describe }, { createChannel, targetsOf }, { forTarget }] = await Promise.all([
      import('../channels/content.js'),
      import('../channels/registry.js'),
      import('../worker/queues.js'),
    ]);
    const channel = await createChannel(name, rc);
    try {
      const verified = await channel.verify?.(AbortSignal.timeout(15_000));
      if (verified) process.stdout.write(`${name}: ${verified}\n`);
      const { public_url: publicUrl, link_secret: linkSecret } = config.server;
      const test = testNotification(name, Date.now());
      for (const n of targetsOf(rc).map((t) => forTarget(test, t))) {
        const outcome = await channel.send({
          notification: n,
          content: describe(n, { publicUrl, linkSecret }),
          signal: AbortSignal.timeout(config.queue.delivery.timeout),
          now: n.createdAt,
        });
        const where = n.target === undefined ? name : `${name} (${n.target})`;
        process.stdout.write(`sent a test notification to ${where}: ${outcome.detail ?? 'ok'}\n`);
        for (const r of outcome.rejected ?? []) process.stdout.write(`  refused: ${r.target}: ${r.reason}\n`);
      }
      return 0;
    } catch (err) {
      process.stderr.write(`${name}: ${(err as Error).message}\n`);
      return 1;
    } finally {
      await channel.close?.();
    }
  },
};

/** The notification `klaxon test-channel` sends, once per target of the receiver. */
function testNotification(receiver: string, now: number): Notification {
  return {
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
}
