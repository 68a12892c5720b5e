import type { APIEmbed } from 'discord.js';
import { describe, expect, it } from 'vitest';
import { describe as describeContent, type MessageContent } from '../../src/channels/content.js';
import {
  counted,
  cut,
  EMBED_LIMITS,
  embedLength,
  fitEmbed,
} from '../../src/channels/discord/embed-limits.js';
import { escapeMarkdown, linkTarget, neutraliseMentions } from '../../src/channels/discord/markdown.js';
import { DISCORD_COLORS, embedColor, renderEmbed } from '../../src/channels/discord/render-discord.js';
import { alertView, notification, T0, unicodeLongDescription } from './helpers.js';

const ZW = '\u200b';

/** A content with every part filled in, written out so the expected embed can be too. */
function content(over: Partial<MessageContent> = {}): MessageContent {
  return {
    kind: 'firing',
    severity: 'critical',
    resolved: false,
    tag: 'CRITICAL',
    title: 'Drawdown above 5% on BTCUSDT',
    headline: 'CRITICAL Drawdown above 5% on BTCUSDT',
    subject: '[CRITICAL] Drawdown above 5% on BTCUSDT',
    notes: ['Severity rose from WARNING to CRITICAL.'],
    description: 'Equity fell 6.2% from the session high.',
    facts: [
      { label: 'Value', value: '6.2%' },
      { label: 'Threshold', value: '>= 5% (critical band)' },
      { label: 'runbook note', value: 'x'.repeat(41) },
    ],
    labels: [
      ['env', 'prod'],
      ['team', 'quant'],
    ],
    links: [
      { text: 'Runbook', href: 'https://wiki.example/runbooks/drawdown' },
      { text: 'Grafana (p95)', href: 'https://grafana.example/d/x?var=a b&panel=(2)' },
    ],
    items: [],
    more: 0,
    footer: 'alert DrawdownHigh · fingerprint fp-1 · notification n-1',
    at: T0,
    ...over,
  };
}

/** Discord's rules, checked the way the fake and Discord check them (code points, trimmed). */
function expectWithinLimits(e: APIEmbed): void {
  const len = (s: string | undefined) => (s === undefined ? 0 : Array.from(s.trim()).length);
  expect(len(e.title)).toBeLessThanOrEqual(256);
  expect(len(e.description)).toBeLessThanOrEqual(4096);
  expect(e.fields?.length ?? 0).toBeLessThanOrEqual(25);
  for (const f of e.fields ?? []) {
    expect(len(f.name)).toBeGreaterThan(0);
    expect(len(f.value)).toBeGreaterThan(0);
    expect(len(f.name)).toBeLessThanOrEqual(256);
    expect(len(f.value)).toBeLessThanOrEqual(1024);
  }
  expect(len(e.footer?.text)).toBeLessThanOrEqual(2048);
  const total =
    len(e.title) +
    len(e.description) +
    len(e.footer?.text) +
    (e.fields ?? []).reduce((n, f) => n + len(f.name) + len(f.value), 0);
  expect(total).toBeLessThanOrEqual(6000);
}

describe('renderEmbed', () => {
  it('lays out one embed: headline, notes + description, facts (inline when short), labels, links, footer, time', () => {
    expect(renderEmbed(content())).toStrictEqual({
      title: 'CRITICAL Drawdown above 5% on BTCUSDT',
      description: 'Severity rose from WARNING to CRITICAL.\n\nEquity fell 6.2% from the session high.',
      color: 0xd00000,
      fields: [
        { name: 'Value', value: '6.2%', inline: true },
        { name: 'Threshold', value: '>= 5% (critical band)', inline: true },
        { name: 'runbook note', value: 'x'.repeat(41), inline: false },
        { name: 'Labels', value: 'env=prod\nteam=quant', inline: false },
        {
          name: 'Links',
          value:
            '[Runbook](https://wiki.example/runbooks/drawdown)\n' +
            '[Grafana (p95)](https://grafana.example/d/x?var=a%20b&panel=%282%29)',
          inline: false,
        },
      ],
      footer: { text: 'alert DrawdownHigh · fingerprint fp-1 · notification n-1' },
      timestamp: '2026-01-15T09:30:00.000Z',
    });
  });

  it('renders a real notification from content.ts', () => {
    const e = renderEmbed(describeContent(notification()));
    expect(e).toStrictEqual({
      title: 'CRITICAL Drawdown above 5% on BTCUSDT',
      description: 'Equity fell 6.2% from the session high.',
      color: 0xd00000,
      fields: [
        { name: 'Value', value: '6.2', inline: true },
        { name: 'Severity', value: 'critical', inline: true },
        { name: 'Source', value: 'bot-eu-1', inline: true },
        { name: 'Symbol', value: 'BTCUSDT', inline: true },
        { name: 'Firing for', value: '1m', inline: true },
        { name: 'Since', value: '2026-01-15T09:30:00.000Z', inline: true },
        { name: 'Occurrences', value: '3', inline: true },
      ],
      footer: { text: 'alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1' },
      timestamp: '2026-01-15T09:30:00.000Z',
    });
  });

  it('colours by severity, green once resolved, grey-blue once acknowledged', () => {
    expect(DISCORD_COLORS).toEqual({
      critical: 0xd00000,
      high: 0xf46d00,
      warning: 0xf2c744,
      info: 0x439fe0,
      resolved: 0x2eb886,
      acknowledged: 0x607d8b,
    });
    for (const severity of ['critical', 'high', 'warning', 'info'] as const)
      expect(renderEmbed(content({ severity })).color).toBe(DISCORD_COLORS[severity]);
    expect(embedColor(content({ resolved: true }))).toBe(0x2eb886);
    expect(embedColor(content({ kind: 'acknowledged' }))).toBe(0x607d8b);
    const resolved = describeContent(
      notification({ kind: 'resolved' }, { status: 'resolved', endsAt: T0 + 1_800_000 }),
    );
    expect(renderEmbed(resolved).color).toBe(0x2eb886);
    const acked = describeContent(
      notification({ kind: 'acknowledged' }, { acknowledged: { by: 'ana', at: T0 + 90_000 } }),
    );
    const e = renderEmbed(acked);
    expect(e.color).toBe(0x607d8b);
    expect(e.title).toBe('ACKNOWLEDGED Drawdown above 5% on BTCUSDT');
    expect(e.description).toBe('Acknowledged by ana.\n\nEquity fell 6.2% from the session high.');
  });

  it('lists a group in the description, with how many more', () => {
    const alerts = Array.from({ length: 12 }, (_, i) =>
      alertView({
        fingerprint: `fp-${i}`,
        name: `A${i}`,
        annotations: { summary: `alert *${i}*` },
        labels: { source: `bot-${i}` },
        status: i === 0 ? 'resolved' : 'firing',
        severity: i === 1 ? 'high' : 'warning',
      }),
    );
    const n = notification({ kind: 'summary', alerts, total: 14 });
    const e = renderEmbed(describeContent(n));
    expect(e.title).toBe('HIGH 14 more alerts held back by the rate limit');
    expect(e.color).toBe(DISCORD_COLORS.high);
    const lines = (e.description ?? '').split('\n');
    expect(lines[0]).toBe(
      'These alerts were held back by the rate limit; each is listed with its state when it was held.',
    );
    expect(lines[1]).toBe('');
    expect(lines[2]).toBe('- RESOLVED alert \\*0\\* (source=bot-0 · since 2026-01-15T09:30:00.000Z)');
    expect(lines[3]).toBe('- HIGH alert \\*1\\* (source=bot-1 · since 2026-01-15T09:30:00.000Z)');
    expect(lines).toHaveLength(2 + 10 + 1);
    expect(lines.at(-1)).toBe('… and 4 more');
    expect(e.fields).toEqual([{ name: 'Alerts', value: '14', inline: true }]);
    expect(e.footer).toEqual({ text: 'notification n-1' });
  });

  it('makes alert text inert: markdown, mention syntax, HTML and mass mentions', () => {
    const evil =
      '@everyone <@&123> <@456> <#789> <t:1:R> <script>alert(1)</script> *b* _i_ __u__ ' +
      '[x](https://evil.example) ~~s~~ ||sp|| `code` ```blk``` \\ back @here\n' +
      '# head\n## h2\n-# sub\n> quote\n>>> all\n- item\n  * nested\n+ plus\n1. first\n' +
      'plain -5% a-b #tag >=3 1.5 {}=!.+ (ok)';
    const want =
      `@${ZW}everyone \\<@&123> \\<@456> \\<#789> \\<t:1:R> \\<script>alert(1)\\</script> \\*b\\* \\_i\\_ \\_\\_u\\_\\_ ` +
      `\\[x\\](https://evil.example) \\~\\~s\\~\\~ \\|\\|sp\\|\\| \\\`code\\\` \\\`\\\`\\\`blk\\\`\\\`\\\` \\\\ back @${ZW}here\n` +
      '\\# head\n\\## h2\n\\-# sub\n\\> quote\n\\>>> all\n\\- item\n  \\* nested\n\\+ plus\n1\\. first\n' +
      'plain -5% a-b #tag >=3 1.5 {}=!.+ (ok)';
    expect(escapeMarkdown(evil)).toBe(want);

    const e = renderEmbed(
      content({
        headline: 'CRITICAL @here **pwn** <@&1>',
        notes: ['@everyone note'],
        description: evil,
        facts: [{ label: '_label_', value: '@everyone `v`' }],
        labels: [['k*', '<@&9>']],
        links: [{ text: '[click](https://evil)', href: 'https://ok.example/a' }],
        footer: 'fp @everyone *kept*',
      }),
    );
    expect(e.title).toBe(`CRITICAL @${ZW}here \\*\\*pwn\\*\\* \\<@&1>`);
    expect(e.description).toBe(`@${ZW}everyone note\n\n${want}`);
    expect(e.fields).toEqual([
      { name: '\\_label\\_', value: `@${ZW}everyone \\\`v\\\``, inline: true },
      { name: 'Labels', value: 'k\\*=\\<@&9>', inline: false },
      { name: 'Links', value: '[\\[click\\](https://evil)](https://ok.example/a)', inline: false },
    ]);
    // Footers render no markdown: only the mass mention is broken.
    expect(e.footer).toEqual({ text: `fp @${ZW}everyone *kept*` });
    // Nothing anywhere can still mention everyone.
    expect(JSON.stringify(e)).not.toMatch(/@(everyone|here)/);
  });

  it('links only http(s) targets, with characters that would end the markup encoded', () => {
    expect(linkTarget('https://a.example/p(1)?q=[x]')).toBe('https://a.example/p%281%29?q=%5Bx%5D');
    expect(linkTarget('javascript:alert(1)')).toBeUndefined();
    expect(linkTarget('not a url')).toBeUndefined();
    expect(neutraliseMentions('@Everyone @HERE @everyoneelse')).toBe(
      `@${ZW}Everyone @${ZW}HERE @${ZW}everyoneelse`,
    );
  });

  it('omits what is empty and never sends a blank field', () => {
    const e = renderEmbed(
      content({
        notes: [],
        description: undefined,
        labels: [],
        links: [],
        facts: [{ label: 'Empty', value: '  ' }],
      }),
    );
    expect(e.description).toBeUndefined();
    expect(e.fields).toEqual([{ name: 'Empty', value: ZW, inline: true }]);
    expect(renderEmbed(content({ at: Number.NaN })).timestamp).toBeUndefined();
  });
});

describe('embed limits', () => {
  it('cuts every text to its own limit with …', () => {
    const e = renderEmbed(
      content({
        headline: 'H'.repeat(400),
        notes: [],
        description: 'd'.repeat(5000),
        facts: [{ label: 'L'.repeat(300), value: 'v'.repeat(2000) }],
        labels: [],
        links: [],
        footer: 'f'.repeat(3000),
      }),
    );
    expect(e.title).toBe(`${'H'.repeat(255)}…`);
    expect(e.fields?.[0]?.name).toBe(`${'L'.repeat(255)}…`);
    expect(e.fields?.[0]?.value).toBe(`${'v'.repeat(1023)}…`);
    expect(e.footer?.text).toBe(`${'f'.repeat(2047)}…`);
    // 256 + 2048 + 256 + 1024 = 3584 leaves 2416 of 6000 for the description.
    expect(e.description).toBe(`${'d'.repeat(2415)}…`);
    expect(embedLength(e)).toBe(6000);
    expectWithinLimits(e);
  });

  it('keeps at most 25 fields, labels and links included', () => {
    const facts = Array.from({ length: 30 }, (_, i) => ({ label: `f${i}`, value: String(i) }));
    const e = renderEmbed(content({ facts }));
    expect(e.fields).toHaveLength(25);
    expect(e.fields?.[22]).toEqual({ name: 'f22', value: '22', inline: true });
    expect(e.fields?.slice(23).map((f) => f.name)).toEqual(['Labels', 'Links']);
  });

  it('drops fields last-first when the total passes 6000, keeping some description', () => {
    const facts = Array.from({ length: 8 }, (_, i) => ({ label: `fact ${i}`, value: `${i}`.repeat(1000) }));
    const e = renderEmbed(
      content({ notes: [], description: 'D'.repeat(3000), facts, labels: [], links: [] }),
    );
    // title 37 + footer 56 + 4 facts × 1006 = 4117; 5 facts would leave less than 1024 of description.
    expect(e.fields?.map((f) => f.name)).toEqual(['fact 0', 'fact 1', 'fact 2', 'fact 3']);
    expect(e.description).toBe(`${'D'.repeat(6000 - 4117 - 1)}…`);
    expect(embedLength(e)).toBe(6000);
    expectWithinLimits(e);
  });

  it('lists whole labels and links only, with … for the rest', () => {
    const labels: [string, string][] = Array.from({ length: 60 }, (_, i) => [`key${i}`, 'v'.repeat(30)]);
    const e = renderEmbed(content({ labels, links: [] }));
    const value = e.fields?.find((f) => f.name === 'Labels')?.value ?? '';
    expect(value.length).toBeLessThanOrEqual(1024);
    const lines = value.split('\n');
    expect(lines.at(-1)).toBe('…');
    for (const l of lines.slice(0, -1)) expect(l).toMatch(/^key\d+=v{30}$/);
  });

  it('fits long multilingual text (counted in UTF-16 units, so code points fit too)', () => {
    const { description, labels } = unicodeLongDescription();
    const n = notification({}, { annotations: { summary: '東京 ✓ '.repeat(80), description }, labels });
    const e = renderEmbed(describeContent(n));
    expectWithinLimits(e);
    expect(e.title?.endsWith('…')).toBe(true);
    expect(embedLength(e)).toBeLessThanOrEqual(6000);
  });

  it('cut(): trims, never splits a surrogate pair or leaves an escaping backslash before …', () => {
    expect(cut('  abc  ', 3)).toBe('abc');
    expect(cut('abcdef', 4)).toBe('abc…');
    expect(cut('ab😀cd', 4)).toBe('ab…');
    expect(cut('ab\\*cd', 4)).toBe('ab…');
    expect(cut('a\\\\*cd', 4)).toBe('a\\\\…');
    expect(cut('abc', 0)).toBe('');
    expect(counted('  x ')).toBe(1);
  });

  it('fitEmbed() leaves a fitting embed as it is', () => {
    const e: APIEmbed = {
      title: 't',
      description: 'd',
      color: 1,
      fields: [{ name: 'n', value: 'v' }],
      footer: { text: 'f' },
    };
    expect(fitEmbed(e)).toStrictEqual(e);
    expect(EMBED_LIMITS.total).toBe(6000);
  });
});
