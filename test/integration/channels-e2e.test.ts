import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fingerprint } from '../../src/model/fingerprint.js';
import { FakeDiscord } from '../support/fakes/discord.js';
import { FakePagerDuty } from '../support/fakes/pagerduty.js';
import { FakeSmtp } from '../support/fakes/smtp.js';
import { FakeTelegram } from '../support/fakes/telegram.js';
import { TestKlaxon } from '../support/klaxon.js';
import { waitFor } from '../support/recorder.js';

const TG_TOKEN = '123456:E2E-telegram-token';
const ROUTING_KEY = 'R0UT1NGKEYE2E0123456789abcdefABC';

/**
 * The trading preset's daily-loss alert, from a bot's snapshots to the four services a person
 * reads it on, each a local server spoken to by the real client library: it warns, rises to
 * critical and resolves.
 */
describe('a daily-loss breach through email, Telegram, Discord and PagerDuty', () => {
  const tg = new FakeTelegram();
  const discord = new FakeDiscord();
  const pd = new FakePagerDuty();
  const smtp = new FakeSmtp();
  const k = new TestKlaxon(`klaxon-test-channels-e2e-${process.pid}`);
  const T0 = Date.parse('2026-12-01T09:00:00Z');

  beforeAll(async () => {
    await Promise.all([tg.start(), discord.start(), pd.start(), smtp.start()]);
    await k.start(() => ({
      presets: ['trading'],
      server: {
        host: '127.0.0.1',
        public_url: 'https://klaxon.example.test',
        tokens: [{ name: 'bots', token: 'test-token-0123456789abcdef', sources: ['*'], admin: true }],
        rate_limit: { max: 100_000 },
      },
      receivers: {
        email: {
          type: 'email',
          to: ['oncall@example.test', 'desk@example.test'],
          from: 'Klaxon <klaxon@example.test>',
          smtp: { host: smtp.host, port: smtp.port, require_tls: false },
        },
        telegram: {
          type: 'telegram',
          token: TG_TOKEN,
          chat_ids: [555],
          api_root: tg.apiRoot,
          throttle: 'off',
        },
        discord: {
          type: 'discord',
          webhook_url: discord.webhookUrl(),
          api_root: discord.apiRoot,
          throttle: 'off',
        },
        pagerduty: { type: 'pagerduty', routing_key: ROUTING_KEY, server: pd.server },
      },
      routes: {
        receivers: ['telegram', 'discord'],
        routes: [
          { match: { severity: 'critical' }, receivers: ['email', 'telegram', 'discord', 'pagerduty'] },
        ],
      },
    }));
  });
  afterAll(async () => {
    await k.close();
    await Promise.all([tg.close(), discord.close(), pd.close(), smtp.close()]);
  });

  const snapshot = (minute: number, pnl: number) =>
    k.push('/v1/metrics', {
      source: 'grid-1',
      ts: T0 + minute * 60_000,
      metrics: { daily_pnl: pnl, daily_loss_limit: 500 },
    });
  const discordPosts = () => discord.requestsTo('execute');
  const fp = fingerprint('daily_loss_limit', { source: 'grid-1', metric: 'daily_pnl' });

  it('warns, rises to critical and resolves, edited or threaded in every channel', async () => {
    await snapshot(0, -100);
    await snapshot(1, -400); // 80 % of the limit: warning
    await waitFor(() => tg.messages.length === 1 && discordPosts().length === 1, 10_000, 'the warning');
    await snapshot(2, -520); // 104 %: critical
    await waitFor(
      () => tg.messages.length === 2 && smtp.messages.length === 1 && pd.alerts().length === 1,
      10_000,
      'the critical notifications',
    );
    await snapshot(3, -300); // 60 %, below the 75 % recovery: resolved
    await waitFor(
      () => tg.requestsTo('editMessageText').length === 1 && smtp.messages.length === 2,
      10_000,
      'the resolve',
    );
    await waitFor(() => pd.alerts()[0]?.status === 'resolved', 10_000, 'the PagerDuty resolve');
    await waitFor(() => discord.requestsTo('edit').length === 1, 10_000, 'the Discord edit');
    await k.idle();

    // Telegram: warning, then critical (a new message, with sound), then that message edited.
    const [warnMsg, critMsg] = tg.messages;
    expect(tg.requestsTo('sendMessage')).toHaveLength(2);
    expect(warnMsg!.text.split('\n')[0]).toBe(
      '🟡 WARNING daily loss 80% of limit on grid-1: -$400.00 of -$500.00',
    );
    const critSend = tg.requestsTo('sendMessage')[1]!.body;
    expect(critSend).toMatchObject({
      chat_id: 555,
      parse_mode: 'HTML',
      link_preview_options: { is_disabled: true },
    });
    expect(critSend.disable_notification).toBeUndefined();
    const edit = tg.requestsTo('editMessageText')[0]!.body;
    expect(edit).toMatchObject({ chat_id: 555, message_id: critMsg!.message_id, parse_mode: 'HTML' });
    expect(critMsg!.text.split('\n')[0]).toBe(
      '✅ RESOLVED daily loss 60% of limit on grid-1: -$300.00 of -$500.00',
    );
    expect(critMsg!.history[0]).toContain('Severity rose from WARNING to CRITICAL.');
    expect(critMsg!.history[0]).toContain('-$520.00 of -$500.00');

    // Discord: two messages, the critical one edited to green on resolve; nothing can ping.
    const posts = discordPosts();
    expect(posts).toHaveLength(2);
    const critEmbed = (posts[1]!.body as { embeds: { title: string; color: number }[] }).embeds[0]!;
    expect(critEmbed.title).toBe('CRITICAL daily loss 104% of limit on grid-1: -$520.00 of -$500.00');
    for (const p of posts)
      expect((p.body as { allowed_mentions: unknown }).allowed_mentions).toEqual({ parse: [] });
    const discordEdit = discord.requestsTo('edit')[0]!;
    const critId = [...discord.messages.values()][1]!.id;
    expect(discordEdit.messageId).toBe(critId);
    const edited = (discordEdit.body as { embeds: { title: string; color: number }[] }).embeds[0]!;
    expect(edited.title).toBe('RESOLVED daily loss 60% of limit on grid-1: -$300.00 of -$500.00');
    expect(edited.color).not.toBe(critEmbed.color);

    // PagerDuty: one alert, triggered then resolved under the alert's fingerprint.
    expect(pd.alerts()).toHaveLength(1);
    expect(pd.alerts()[0]).toMatchObject({
      dedupKey: fp,
      status: 'resolved',
      actions: ['trigger', 'resolve'],
    });
    const [trigger, resolve] = pd.events();
    expect(trigger).toMatchObject({
      routing_key: ROUTING_KEY,
      event_action: 'trigger',
      dedup_key: fp,
      payload: {
        summary: 'CRITICAL daily loss 104% of limit on grid-1: -$520.00 of -$500.00',
        source: 'grid-1',
        severity: 'critical',
        class: 'daily_loss_limit',
        group: 'grid-1',
      },
      links: [{ href: `https://klaxon.example.test/ui/#/alerts/${fp}`, text: 'Alert in Klaxon' }],
    });
    expect(resolve).toMatchObject({ routing_key: ROUTING_KEY, event_action: 'resolve', dedup_key: fp });

    // Email: critical, then its resolve in the same thread, to both recipients.
    const [critMail, resolvedMail] = smtp.messages.map((m) => m.parsed);
    expect(critMail!.subject).toBe('[CRITICAL] daily loss 104% of limit on grid-1: -$520.00 of -$500.00');
    expect(resolvedMail!.subject).toBe('[RESOLVED] daily loss 60% of limit on grid-1: -$300.00 of -$500.00');
    expect(smtp.messages[0]!.envelope.rcptTo).toEqual(['oncall@example.test', 'desk@example.test']);
    expect(critMail!.text).toContain('Threshold: >= 100% (critical band)');
    expect(critMail!.html).toContain('-$520.00 of -$500.00');
    expect(critMail!.inReplyTo).toBeUndefined();
    expect(resolvedMail!.inReplyTo).toBe(critMail!.messageId);
    expect(resolvedMail!.references).toEqual(critMail!.messageId);
    // It fired from the warning at minute 1 to the resolve at minute 3.
    expect(resolvedMail!.text).toContain('Resolved after 2m (was CRITICAL).');
    expect(resolvedMail!.text).toContain('Value at resolve: 60%\nThreshold: >= 100% (critical band)');
  });

  it('alert text that tries to ping, script or format arrives inert in every channel', async () => {
    const hostile =
      '@everyone <@&123> <script>alert(1)</script> <b>bold</b> *star* _u_ [x](http://e.vil) `c`';
    const before = { tg: tg.messages.length, discord: discordPosts().length, mail: smtp.messages.length };
    await k.push('/v1/alerts', {
      source: 'grid-1',
      name: 'hostile_text',
      severity: 'critical',
      title: hostile,
      message: hostile,
    });
    await waitFor(
      () =>
        tg.messages.length === before.tg + 1 &&
        discordPosts().length === before.discord + 1 &&
        smtp.messages.length === before.mail + 1 &&
        pd
          .alerts()
          .some((a) => a.triggers.length > 0 && String(a.triggers[0]?.summary).includes('@everyone')),
      10_000,
      'the hostile alert everywhere',
    );
    // Telegram shows the text literally: no entity came from it.
    const msg = tg.messages.at(-1)!;
    expect(msg.text).toContain(hostile);
    expect(
      msg.entities.every((e) => e.type === 'bold' || e.type === 'italic' || e.type === 'text_link'),
    ).toBe(true);
    expect(msg.entities.some((e) => msg.text.slice(e.offset, e.offset + e.length) === 'bold')).toBe(false);
    // Discord: nothing pings, and the stored message mentions nobody.
    const stored = [...discord.messages.values()].at(-1)!;
    expect(stored.mention_everyone).toBe(false);
    expect(stored.mention_roles).toEqual([]);
    // Email: the HTML carries the text escaped, never a tag from it.
    const html = smtp.messages.at(-1)!.parsed.html as string;
    expect(html).not.toMatch(/<script/i);
    expect(html).not.toContain('<b>bold</b>');
    expect(html).toContain('&lt;script&gt;');
    // PagerDuty shows plain text as it came.
    const summary = String(pd.alerts().at(-1)!.triggers[0]!.summary);
    expect(summary).toBe(`CRITICAL ${hostile}`);
  });

  it('a retried request that had in fact succeeded makes no second incident and no second email', async () => {
    const mails = smtp.messages.length;
    const incidents = pd.alerts().length;
    pd.script({ reset: true, process: true }); // PagerDuty took the trigger, the answer was lost
    smtp.acceptThenDrop(); // the SMTP server kept the message, the 250 was lost
    await k.push('/v1/alerts', {
      source: 'grid-2',
      name: 'auth_failed',
      severity: 'critical',
      title: 'lost answers',
    });
    await waitFor(() => smtp.messages.length === mails + 2, 10_000, 'the email and its retry');
    await waitFor(
      () => pd.requests.length >= 2 && pd.alerts().length > incidents,
      10_000,
      'the trigger and its retry',
    );
    await k.idle();
    // PagerDuty merged the retried trigger into the one open incident (same dedup_key).
    const opened = pd.alerts().slice(incidents);
    expect(opened).toHaveLength(1);
    expect(opened[0]).toMatchObject({ status: 'triggered', actions: ['trigger', 'trigger'] });
    // Both copies of the email carry one Message-ID: a mail client shows one message.
    const [first, again] = smtp.messages.slice(mails).map((m) => m.parsed.messageId);
    expect(again).toBe(first);
  });

  it('a recipient the mail server refuses is dead-lettered on its own; the others get the email', async () => {
    const mails = smtp.messages.length;
    smtp.rejectRecipient('desk@example.test');
    await k.push('/v1/alerts', {
      source: 'grid-3',
      name: 'insufficient_balance',
      severity: 'critical',
      title: 'margin call',
    });
    await waitFor(() => smtp.messages.length === mails + 1, 10_000, 'the email');
    await k.idle();
    expect(smtp.messages.at(-1)!.envelope.rcptTo).toEqual(['oncall@example.test']);
    const health = (await (await fetch(`${k.app.url}/health`)).json()) as {
      deadLetters: { latest: { receiver: string; target?: string; reason: string }[] };
      receivers: Record<string, { state: string }>;
    };
    const dead = health.deadLetters.latest.find((d) => d.receiver === 'email');
    expect(dead).toMatchObject({ receiver: 'email', target: 'desk@example.test' });
    expect(dead?.reason).toMatch(/550/);
    expect(health.receivers.email?.state).toBe('ok');
  });
});
