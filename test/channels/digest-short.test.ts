import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Channel, Delivery } from '../../src/channels/channel.js';
import { describe as describeContent, type ContentOptions } from '../../src/channels/content.js';
import { discordChannel, discordReceiverSchema } from '../../src/channels/discord/index.js';
import { TelegramChannel } from '../../src/channels/telegram/telegram-channel.js';
import { DIGEST_LINK_TTL, describeDigest } from '../../src/digest/describe.js';
import type { DigestReport } from '../../src/digest/types.js';
import { verifyLinkToken } from '../../src/ingest/ack-links.js';
import type { Notification } from '../../src/model/notification.js';
import { FakeDiscord } from '../support/fakes/discord.js';
import { FakeTelegram } from '../support/fakes/telegram.js';
import { fixtureReport, quietReport, WINDOW_END } from '../digest/report-fixture.js';

/**
 * The short version of the daily digest, as chat receivers show it: a `digest` notification sent
 * through the real Telegram and Discord channels (telegraf and discord.js against the fakes).
 */
const TG_TOKEN = '123456:AAE-s3cr3t_bot_token_0123456789';
const CHAT = '-100123';
const PUBLIC_URL = 'https://klaxon.example.test/';
const SECRET = 'digest-link-secret-0123456789abcdef';
const CREATED = WINDOW_END + 3_000;
const LINKS: ContentOptions = { publicUrl: PUBLIC_URL, linkSecret: SECRET };

let tg: FakeTelegram;
let discord: FakeDiscord;
const open: Channel[] = [];

beforeAll(async () => {
  tg = await new FakeTelegram({ token: TG_TOKEN }).start();
  discord = await new FakeDiscord().start();
});

afterAll(async () => {
  await tg.close();
  await discord.close();
});

beforeEach(() => {
  tg.reset();
  discord.reset();
});

afterEach(async () => {
  for (const ch of open.splice(0)) await ch.close?.();
});

/** The digest notification DigestRunner makes for one receiver of the slot that ends the report's window. */
function digestNotification(report: DigestReport, receiver = 'ops'): Notification {
  const slot = report.window.end;
  return {
    id: `digest.${slot}.${receiver}`,
    receiver,
    target: CHAT,
    kind: 'digest',
    alerts: [],
    digest: report,
    thread: `digest.${slot}`,
    createdAt: CREATED,
  };
}

/** A delivery as the delivery worker hands it over: content decided with the server's link settings. */
function delivery(n: Notification, opts: ContentOptions = {}): Delivery {
  return {
    notification: n,
    content: describeContent(n, opts),
    signal: AbortSignal.timeout(10_000),
    now: n.createdAt,
  };
}

function lateReport(): DigestReport {
  return { ...fixtureReport(), lateFrom: WINDOW_END, generatedAt: WINDOW_END + 2 * 3_600_000 };
}

function telegram(): TelegramChannel {
  return new TelegramChannel('ops', {
    token: TG_TOKEN,
    chatIds: [CHAT],
    apiRoot: tg.apiRoot,
    silentBelow: 'warning',
  });
}

async function discordCh(): Promise<Channel> {
  const cfg = discordReceiverSchema.parse({
    type: 'discord',
    webhook_url: discord.webhookUrl(),
    api_root: discord.apiRoot,
  });
  const ch = await discordChannel.create('ops', cfg, {});
  open.push(ch);
  return ch;
}

/** The one message the Telegram chat shows: its visible text and the targets of its links. */
async function viaTelegram(
  n: Notification,
  opts: ContentOptions = {},
): Promise<{ text: string; links: string[] }> {
  await telegram().send(delivery(n, opts));
  const msgs = tg.messagesIn(CHAT);
  expect(msgs).toHaveLength(1);
  const m = msgs[0]!;
  return {
    text: m.text,
    links: m.entities.filter((e) => e.type === 'text_link').map((e) => e.url ?? ''),
  };
}

interface Embed {
  title: string;
  description?: string;
  fields?: { name: string; value: string }[];
  footer?: { text: string };
}

/** The one embed the Discord channel holds. */
async function viaDiscord(n: Notification, opts: ContentOptions = {}): Promise<Embed> {
  await (await discordCh()).send(delivery(n, opts));
  const msgs = [...discord.messages.values()];
  expect(msgs).toHaveLength(1);
  expect(msgs[0]!.embeds).toHaveLength(1);
  return msgs[0]!.embeds[0] as unknown as Embed;
}

function field(e: Embed, name: string): string | undefined {
  return e.fields?.find((f) => f.name === name)?.value;
}

/** Everything a person reads in the embed, as one string. */
function embedText(e: Embed): string {
  return [
    e.title,
    e.description ?? '',
    ...(e.fields ?? []).map((f) => `${f.name}: ${f.value}`),
    e.footer?.text ?? '',
  ].join('\n');
}

/** The token of a `…/v1/digest/view/<token>` link under PUBLIC_URL. */
function tokenOf(href: string): string {
  const m = /^https:\/\/klaxon\.example\.test\/v1\/digest\/view\/([\w-]+\.[\w-]+)$/.exec(href);
  expect(m, href).not.toBeNull();
  return m![1]!;
}

/** The link checks out for the digest of the report's slot, and for nothing else. */
function expectDigestLink(href: string): void {
  const token = tokenOf(href);
  expect(verifyLinkToken(SECRET, 'digest', token, CREATED)).toEqual({
    ok: true,
    subject: String(WINDOW_END),
    expiresAt: CREATED + DIGEST_LINK_TTL,
  });
  expect(verifyLinkToken(SECRET, 'ack', token, CREATED)).toEqual({ ok: false, reason: 'invalid' });
  expect(verifyLinkToken('another-secret-0123456789abcdef', 'digest', token, CREATED)).toEqual({
    ok: false,
    reason: 'invalid',
  });
  expect(verifyLinkToken(SECRET, 'digest', token, CREATED + DIGEST_LINK_TTL)).toEqual({
    ok: false,
    reason: 'expired',
  });
}

/** The first line's title: the date, then equity and its change, then the alerts fired. */
const TITLE = /DIGEST Daily digest 2026-12-02: equity \$60,234\.56 \(\+2\.09%\), 20 alerts\b/;

const HEADLINE_FIGURES = [
  'Equity: $60,234.56 (+$1,234.56, +2.09%)',
  'Total PnL: +$1,234.56',
  'Alerts fired: 20 (1 critical, 3 high, 9 warning, 7 info)',
  'Still open: 2',
];

describe('the short digest on Telegram', () => {
  it('shows the DIGEST tag, the date and the headline figures', async () => {
    const { text, links } = await viaTelegram(digestNotification(fixtureReport()));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(TITLE);
    expect(lines[0]!.startsWith('🔵 DIGEST Daily digest')).toBe(true);
    for (const f of HEADLINE_FIGURES) expect(lines).toContain(f);
    expect(lines).toContain('Trades: 20, 65.0% won');
    expect(lines).toContain('Max drawdown: -$450.00 (0.92%)');
    expect(lines).toContain('Failed deliveries: 3');
    expect(lines).toContain('Dead letters: 1');
    expect(lines).toContain('Sources: 2');
    expect(lines.at(-1)).toBe(
      `2026-12-01 06:00 to 2026-12-02 06:00 Europe/Berlin · notification digest.${WINDOW_END}.ops`,
    );
    expect(text).not.toContain('LATE');
    expect(text).not.toContain('Full digest');
    expect(links).toEqual([]);
  });

  it('carries a signed "Full digest" link when public_url and link_secret are set', async () => {
    const { text, links } = await viaTelegram(digestNotification(fixtureReport()), LINKS);
    expect(text.split('\n')).toContain('Full digest');
    expect(links).toHaveLength(1);
    expectDigestLink(links[0]!);
  });

  it('has no link with a public_url alone', async () => {
    const { text, links } = await viaTelegram(digestNotification(fixtureReport()), { publicUrl: PUBLIC_URL });
    expect(text).not.toContain('Full digest');
    expect(links).toEqual([]);
  });

  it('a late digest says (LATE) and when it was due', async () => {
    const { text } = await viaTelegram(digestNotification(lateReport()));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(
      /^🔵 DIGEST \(LATE\) Daily digest 2026-12-02: equity \$60,234\.56 \(\+2\.09%\), 20 alerts/,
    );
    expect(lines).toContain('Late: scheduled for 2026-12-02 06:00 Europe/Berlin.');
  });

  it('a quiet day says so, with no money figures', async () => {
    const { text } = await viaTelegram(digestNotification(quietReport()));
    const lines = text.split('\n');
    expect(lines[0]).toMatch(/^🔵 DIGEST Daily digest 2026-12-02: quiet day\b/);
    expect(lines).toContain('Alerts fired: 0');
    expect(lines).toContain('Still open: 0');
    expect(text).not.toContain('Equity');
    expect(text).not.toContain('Total PnL');
    expect(text).not.toContain('$');
  });
});

describe('the short digest on Discord', () => {
  it('shows the DIGEST tag, the date and the headline figures in one embed', async () => {
    const e = await viaDiscord(digestNotification(fixtureReport()));
    expect(e.title).toMatch(/^DIGEST Daily digest 2026-12-02: equity \$60,234\.56 \(\+2\.09%\), 20 alerts/);
    expect(field(e, 'Equity')).toBe('$60,234.56 (+$1,234.56, +2.09%)');
    expect(field(e, 'Total PnL')).toBe('+$1,234.56');
    expect(field(e, 'Alerts fired')).toBe('20 (1 critical, 3 high, 9 warning, 7 info)');
    expect(field(e, 'Still open')).toBe('2');
    expect(field(e, 'Links')).toBeUndefined();
    expect(embedText(e)).not.toContain('LATE');
  });

  it('carries the signed "Full digest" link when public_url and link_secret are set', async () => {
    const e = await viaDiscord(digestNotification(fixtureReport()), LINKS);
    const links = field(e, 'Links') ?? '';
    const m = /^\[Full digest\]\((https:[^)\s]+)\)$/.exec(links);
    expect(m, links).not.toBeNull();
    expectDigestLink(m![1]!);
  });

  it('a late digest says (LATE)', async () => {
    const e = await viaDiscord(digestNotification(lateReport()));
    expect(e.title).toMatch(/^DIGEST \(LATE\) Daily digest 2026-12-02: /);
    expect(e.description).toContain('Late: scheduled for 2026-12-02 06:00 Europe/Berlin.');
  });

  it('a quiet day says so', async () => {
    const e = await viaDiscord(digestNotification(quietReport()));
    expect(e.title).toMatch(/^DIGEST Daily digest 2026-12-02: quiet day\b/);
    expect(field(e, 'Equity')).toBeUndefined();
    expect(field(e, 'Alerts fired')).toBe('0');
  });
});

describe('describeDigest', () => {
  it('lists the headline facts of all sources together, in order', () => {
    const n = digestNotification(fixtureReport());
    const c = describeDigest(n, fixtureReport(), {});
    expect(c).toMatchObject({
      kind: 'digest',
      severity: 'info',
      resolved: false,
      tag: 'DIGEST',
      notes: [],
      labels: [],
      links: [],
      items: [],
      at: WINDOW_END,
    });
    expect(c.title).toMatch(/^Daily digest 2026-12-02: equity \$60,234\.56 \(\+2\.09%\), 20 alerts/);
    expect(c.headline).toBe(`DIGEST ${c.title}`);
    expect(c.subject).toBe(`[DIGEST] ${c.title}`);
    expect(c.facts).toEqual([
      { label: 'Equity', value: '$60,234.56 (+$1,234.56, +2.09%)' },
      { label: 'Total PnL', value: '+$1,234.56' },
      { label: 'Trades', value: '20, 65.0% won' },
      { label: 'Max drawdown', value: '-$450.00 (0.92%)' },
      { label: 'Alerts fired', value: '20 (1 critical, 3 high, 9 warning, 7 info)' },
      { label: 'Still open', value: '2' },
      { label: 'Failed deliveries', value: '3' },
      { label: 'Dead letters', value: '1' },
      { label: 'Sources', value: '2' },
    ]);
  });

  it('shows money in the report currency', () => {
    const report = { ...fixtureReport(), currency: 'EUR' };
    const facts = describeDigest(digestNotification(report), report, {}).facts;
    expect(facts.find((f) => f.label === 'Total PnL')?.value).toMatch(/^\+€1,234\.56$/);
    expect(facts.find((f) => f.label === 'Equity')?.value).not.toContain('$');
  });

  it('a quiet day: no money, trade or drawdown facts, zero alerts, says quiet day', () => {
    const c = describeDigest(digestNotification(quietReport()), quietReport(), LINKS);
    expect(c.facts).toEqual([
      { label: 'Alerts fired', value: '0' },
      { label: 'Still open', value: '0' },
    ]);
    expect(c.title).toMatch(/^Daily digest 2026-12-02: quiet day\b/);
    expect(c.links.map((l) => l.text)).toEqual(['Full digest']);
  });

  it('is what describe() gives for a digest notification', () => {
    const n = digestNotification(lateReport());
    expect(describeContent(n, LINKS)).toEqual(describeDigest(n, lateReport(), LINKS));
  });
});
