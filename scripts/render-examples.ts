/**
 * Prints what each channel sends for one alert, firing and resolved, using the channels' own pure
 * render functions: the Telegram HTML text, the Discord embed, the PagerDuty event, the email's
 * subject, headers and plain-text part, and the console line. docs/channels.md shows this output.
 *
 *   npx tsx scripts/render-examples.ts                 # print
 *   npx tsx scripts/render-examples.ts --screenshots   # also write docs/images/telegram-*.png and discord-*.png
 *
 * The alert is the one scripts/screenshot-email.ts builds for docs/images/email-*.png (the trading
 * preset's daily-loss alert at critical, with a description, a runbook and a dashboard link), so
 * every picture and listing in the docs shows the same alert.
 *
 * The pictures are approximations: small HTML mocks styled like the Telegram and Discord clients,
 * filled with exactly what Klaxon sends, drawn by headless Chromium (/usr/bin/chromium, or
 * CHROMIUM=/path). They are not screenshots of either client, and each says so in the picture.
 */
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { APIEmbed, APIEmbedField } from 'discord.js';
import type { Delivery } from '../src/channels/channel.js';
import { describe, type MessageContent } from '../src/channels/content.js';
import { renderEmbed } from '../src/channels/discord/render-discord.js';
import { buildEmail, type EmailMessage } from '../src/channels/email/message.js';
import { renderEvents } from '../src/channels/pagerduty/render-event.js';
import { DEFAULT_CLIENT } from '../src/channels/pagerduty/schema.js';
import { renderLine } from '../src/channels/render-text.js';
import {
  ACKNOWLEDGED_MARKER,
  RESOLVED_MARKER,
  renderEdit,
  renderParts,
  SEVERITY_MARKERS,
  TEST_MARKER,
} from '../src/channels/telegram/render.js';
import type { MessageRef, Notification } from '../src/model/notification.js';
import { launchChromium } from '../test/support/browser.js';
import { firing, FROM, PUBLIC_URL, resolved, TO } from './example-alert.js';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const OUT = path.join(ROOT, 'docs', 'images');

/** Stands in for the PagerDuty integration key, which is a secret. */
const ROUTING_KEY_PLACEHOLDER = '<routing_key: 32-character Integration Key>';

/** A delivery as the worker hands it to a channel: content decided once, with the server's public_url. */
function delivery(n: Notification, previous?: MessageRef): Delivery {
  return {
    notification: n,
    content: describe(n, { publicUrl: PUBLIC_URL, ui: true }),
    previous,
    signal: AbortSignal.timeout(1_000),
    now: n.createdAt,
  };
}

interface Rendered {
  content: MessageContent;
  /** Telegram: the parts of a new message (firing), or the text of the edit (resolve). */
  telegram: string[];
  discord: APIEmbed;
  pagerduty: unknown[];
  email: EmailMessage;
  console: string;
}

function render(n: Notification, emailPrevious?: MessageRef): Rendered {
  const d = delivery(n, emailPrevious);
  const c = d.content;
  const events = renderEvents(n, c, { routingKey: ROUTING_KEY_PLACEHOLDER, client: DEFAULT_CLIENT });
  return {
    content: c,
    // A resolve edits the message the firing sent (TelegramChannel#edit); a firing is new parts.
    telegram: n.kind === 'resolved' ? [renderEdit(c)] : renderParts(c),
    discord: renderEmbed(c),
    pagerduty: events,
    email: buildEmail(d, FROM, TO),
    console: renderLine(c, n.createdAt),
  };
}

function emailHeaders(m: EmailMessage): string {
  const lines = [
    `From: ${m.from.name} <${m.from.address}>`,
    `To: ${m.to.join(', ')}`,
    `Subject: ${m.subject}`,
    `Message-ID: ${m.messageId}`,
    ...(m.inReplyTo ? [`In-Reply-To: ${m.inReplyTo}`] : []),
    ...(m.references ? [`References: ${m.references.join(' ')}`] : []),
    ...Object.entries(m.headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return lines.join('\n');
}

function print(title: string, r: Rendered): void {
  const section = (name: string, body: string): void => {
    process.stdout.write(`----- ${title}: ${name} -----\n${body.replace(/\n+$/, '')}\n\n`);
  };
  r.telegram.forEach((part, i) =>
    section(r.telegram.length > 1 ? `telegram (part ${i + 1} of ${r.telegram.length})` : 'telegram', part),
  );
  section('discord embed', JSON.stringify(r.discord, null, 2));
  r.pagerduty.forEach((ev, i) =>
    section(
      r.pagerduty.length > 1 ? `pagerduty event ${i + 1}` : 'pagerduty event',
      JSON.stringify(ev, null, 2),
    ),
  );
  section('email headers', emailHeaders(r.email));
  section('email text part', r.email.text);
  section('console', r.console);
}

// ---------------------------------------------------------------------------------------------
// The pictures: HTML mocks of the two clients, filled with exactly what Klaxon sends.

const esc = (s: string): string =>
  s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** UTC `HH:MM`. */
const hhmm = (ms: number): string => new Date(ms).toISOString().slice(11, 16);

/** `2026-03-12 13:42` (UTC). */
const dayTime = (ms: number): string => new Date(ms).toISOString().slice(0, 16).replace('T', ' ');

/**
 * The machine has no colour-emoji font, so the markers Klaxon puts in front of a Telegram
 * headline are drawn as the shapes they are (a coloured dot, a green check box) instead.
 */
function drawMarkers(html: string): string {
  const dots: [string, string][] = [
    [SEVERITY_MARKERS.critical, '#dd2e44'],
    [SEVERITY_MARKERS.high, '#f4900c'],
    [SEVERITY_MARKERS.warning, '#fdcb58'],
    [SEVERITY_MARKERS.info, '#55acee'],
  ];
  let out = html;
  for (const [emoji, color] of dots)
    out = out.split(emoji).join(`<span class="dot" style="background:${color}"></span>`);
  out = out.split(RESOLVED_MARKER).join('<span class="check">&#10003;</span>');
  out = out.split(ACKNOWLEDGED_MARKER).join('<span class="emoji">eyes</span>');
  return out.split(TEST_MARKER).join('<span class="emoji">test</span>');
}

const FONT = "'Liberation Sans', Arial, Helvetica, sans-serif";
const NOTE_STYLE = `font:11px/1.4 ${FONT};color:#5f6b76;margin:0 0 10px 2px;`;

/**
 * A Telegram group chat (light theme) with the bot's message: the HTML Klaxon sends is Telegram's
 * own subset (b, i, code, a), so it goes into the bubble as it is, line breaks kept.
 */
function telegramPage(parts: string[], sentAt: number, edited = false): string {
  // An edited message keeps the time it was sent, marked "edited".
  const time = edited ? `edited ${hhmm(sentAt)}` : hhmm(sentAt);
  // One bubble per part; the avatar shows beside the last one, as Telegram groups them.
  const bubble = (html: string, i: number): string => {
    const avatar = i < parts.length - 1 ? ' style="visibility:hidden"' : '';
    const sender = i === 0 ? '<div class="sender">Klaxon</div>' : '';
    const text = `<div class="text">${drawMarkers(html)}<span class="meta">${time}</span></div>`;
    return `<div class="row"><div class="avatar"${avatar}>K</div><div class="bubble">${sender}${text}</div></div>`;
  };
  const bubbles = parts.map(bubble).join('\n');
  return `<!doctype html><html><head><meta charset="utf-8"><style>
  body { margin:0; background:#c8d8b9; font:15px/1.38 ${FONT}; color:#000; }
  .wrap { padding:12px 16px 16px 16px; width:548px; }
  .note { ${NOTE_STYLE} color:#44533a; }
  .row { display:flex; align-items:flex-end; gap:8px; margin-top:4px; }
  .avatar { width:34px; height:34px; border-radius:50%; background:#e17076; color:#fff; font-weight:700;
            display:flex; align-items:center; justify-content:center; flex:none; }
  .bubble { background:#fff; border-radius:12px 12px 12px 4px; padding:6px 10px 6px 10px; max-width:480px;
            box-shadow:0 1px 1px rgba(0,0,0,0.13); }
  .sender { color:#c03d33; font-weight:700; font-size:14px; margin-bottom:2px; }
  .text { white-space:pre-wrap; word-wrap:break-word; }
  .text a { color:#168acd; text-decoration:none; }
  .text code { font:13px 'DejaVu Sans Mono', monospace; color:#000; background:#f2f2f2; border-radius:3px; padding:0 2px; }
  .meta { float:right; color:#a0acb6; font-size:12px; margin:6px 0 -4px 12px; }
  .dot { display:inline-block; width:15px; height:15px; border-radius:50%; vertical-align:-2px; }
  .check { display:inline-block; width:16px; height:16px; border-radius:3px; background:#77b255; color:#fff;
           font-size:13px; line-height:16px; text-align:center; font-weight:700; vertical-align:-2px; }
  .emoji { font-size:11px; color:#888; }
</style></head><body><div class="wrap">
<p class="note">Approximation of a Telegram group chat drawn by scripts/render-examples.ts from the
message text Klaxon sends (not a screenshot of Telegram; emoji drawn as shapes; times in UTC).</p>
${bubbles}
</div></body></html>`;
}

/**
 * Discord markdown as far as Klaxon's embeds use it: backslash escapes and masked links
 * `[text](https://…)`. Everything else shows as written.
 */
function discordMarkdown(md: string): string {
  const token = /\\([!-/:-@[-`{-~])|\[((?:\\.|[^\]\\])*)\]\((https?:\/\/[^)\s]+)\)|([\s\S])/g;
  let out = '';
  for (const m of md.matchAll(token)) {
    if (m[1] !== undefined) out += esc(m[1]);
    else if (m[2] !== undefined && m[3] !== undefined)
      out += `<a href="${esc(m[3])}">${discordMarkdown(m[2])}</a>`;
    else out += esc(m[4] ?? '');
  }
  return out;
}

/** Fields as Discord lays them out: inline ones up to three side by side, the others on a row of their own. */
function fieldRows(fields: APIEmbedField[]): APIEmbedField[][] {
  const rows: APIEmbedField[][] = [];
  let row: APIEmbedField[] = [];
  for (const f of fields) {
    if (f.inline && row.length < 3) {
      row.push(f);
      continue;
    }
    if (row.length > 0) rows.push(row);
    row = f.inline ? [f] : [];
    if (!f.inline) rows.push([f]);
  }
  if (row.length > 0) rows.push(row);
  return rows;
}

/** A Discord text channel (dark theme) with the webhook's message: one embed. */
function discordPage(e: APIEmbed, sentAt: number): string {
  const color = `#${(e.color ?? 0).toString(16).padStart(6, '0')}`;
  const rows = fieldRows(e.fields ?? [])
    .map(
      (row) =>
        `<div class="frow">${row
          .map(
            (f) =>
              `<div class="field" style="flex:${f.inline ? '0 0 32%' : '1 1 100%'}"><div class="fname">${discordMarkdown(f.name)}</div><div class="fvalue">${discordMarkdown(f.value)}</div></div>`,
          )
          .join('')}</div>`,
    )
    .join('');
  const footer = [e.footer?.text ?? '', e.timestamp ? dayTime(Date.parse(e.timestamp)) : '']
    .filter(Boolean)
    .map(esc)
    .join(' • ');
  return `<!doctype html><html><head><meta charset="utf-8"><style>
  body { margin:0; background:#313338; font:15px/1.375 ${FONT}; color:#dbdee1; }
  .wrap { padding:12px 16px 16px 16px; width:620px; }
  .note { ${NOTE_STYLE} color:#949ba4; }
  .msg { display:flex; gap:14px; }
  .avatar { width:40px; height:40px; border-radius:50%; background:#5865f2; color:#fff; font-weight:700;
            display:flex; align-items:center; justify-content:center; flex:none; font-size:17px; }
  .head { margin-bottom:4px; }
  .user { color:#f2f3f5; font-weight:600; }
  .when { color:#949ba4; font-size:12px; margin-left:6px; }
  .embed { background:#2b2d31; border-left:4px solid ${color}; border-radius:4px; padding:8px 16px 14px 12px;
           max-width:516px; }
  .title { color:#f2f3f5; font-weight:700; font-size:16px; margin-top:6px; }
  .desc { font-size:14px; margin-top:8px; white-space:pre-wrap; }
  .frow { display:flex; gap:2%; margin-top:8px; }
  .fname { color:#f2f3f5; font-weight:700; font-size:14px; margin-bottom:2px; }
  .fvalue { font-size:14px; white-space:pre-wrap; word-wrap:break-word; }
  a { color:#00a8fc; text-decoration:none; }
  .footer { color:#b5bac1; font-size:12px; margin-top:10px; }
</style></head><body><div class="wrap">
<p class="note">Approximation of a Discord channel drawn by scripts/render-examples.ts from the embed Klaxon
sends (not a screenshot of Discord; times in UTC).</p>
<div class="msg"><div class="avatar">K</div><div>
<div class="head"><span class="user">Klaxon</span><span class="when">${dayTime(sentAt)}</span></div>
<div class="embed">
${e.title ? `<div class="title">${discordMarkdown(e.title)}</div>` : ''}
${e.description ? `<div class="desc">${discordMarkdown(e.description)}</div>` : ''}
${rows}
${footer ? `<div class="footer">${footer}</div>` : ''}
</div></div></div></div></body></html>`;
}

async function screenshots(first: Rendered, second: Rendered): Promise<void> {
  mkdirSync(OUT, { recursive: true });
  const browser = await launchChromium();
  try {
    const page = await browser.newPage({ viewport: { width: 580, height: 200 }, deviceScaleFactor: 1 });
    // The mocks fetch nothing: a request would mean a link or an image slipped in.
    const requested: string[] = [];
    await page.route('**/*', (route) => {
      requested.push(route.request().url());
      return route.abort();
    });
    // A firing posts one message (one part here); the resolve edits that message in place.
    const pages: [string, string, number][] = [
      ['telegram-firing.png', telegramPage(first.telegram, firing.createdAt), 580],
      ['telegram-resolved.png', telegramPage(second.telegram, firing.createdAt, true), 580],
      ['discord-firing.png', discordPage(first.discord, firing.createdAt), 652],
      ['discord-resolved.png', discordPage(second.discord, firing.createdAt), 652],
    ];
    for (const [file, doc, width] of pages) {
      await page.setViewportSize({ width, height: 200 });
      await page.setContent(doc, { waitUntil: 'load' });
      const target = path.join(OUT, file);
      await page.screenshot({ path: target, fullPage: true });
      process.stderr.write(`wrote ${path.relative(ROOT, target)}\n`);
    }
    if (requested.length > 0) throw new Error(`a mock requested: ${requested.join(', ')}`);
  } finally {
    await browser.close();
  }
}

async function main(): Promise<void> {
  const first = render(firing);
  // The resolve answers the firing's thread: email threads on the Message-ID the firing carried.
  const second = render(resolved, first.email.ref);
  print('firing', first);
  print('resolved', second);
  if (process.argv.includes('--screenshots')) await screenshots(first, second);
}

await main();
