import { formatDuration } from '../model/time-text.js';
import { formatMoney } from '../model/format.js';
import { SEVERITIES, type Severity } from '../model/severity.js';
import type { DigestReport, Maybe, SourceFigures } from './types.js';
import { formatInZone } from './zoned-time.js';

/**
 * The digest laid out as plain text, in the daily report layout operators know: an 80-column
 * banner, then ACCOUNT SUMMARY, PNL BREAKDOWN, … per source, and DELIVERIES and NOTES at the end.
 * The layout itself (`digestLayout`) is shared with the HTML rendering so both show the same
 * sections and figures. Pure and deterministic: times are shown in the report's time zone.
 */

/** Width of the banner and rule lines. */
export const TEXT_WIDTH = 80;
/** Width of a fact's label column, indent included: `  Win Rate:        65.00%`. */
export const LABEL_WIDTH = 19;

/** A labelled figure: `Win Rate: 65.00%`. */
export interface DigestFact {
  kind: 'fact';
  label: string;
  value: string;
}

/** One entry of a list; `severity` colours it where the layout can. */
export interface DigestItem {
  text: string;
  severity?: Severity;
}

/** A labelled list: guard triggers, circuit breaker state, noisiest rules. */
export interface DigestList {
  kind: 'list';
  label: string;
  items: DigestItem[];
}

/** A column of a table: its heading, its width in text and its alignment. */
export interface DigestColumn {
  title: string;
  width: number;
  align: 'left' | 'right';
}

/** A table of already formatted cells. */
export interface DigestTable {
  kind: 'table';
  columns: DigestColumn[];
  rows: string[][];
}

/** One alert still firing, its figures formatted; `text` is its line in the plain-text layout. */
export interface DigestOpenAlert {
  severity: Severity;
  name: string;
  title: string | null;
  source: string;
  since: string;
  age: string;
  acknowledged: boolean;
  text: string;
}

/** The alerts still firing at the window's end (`showSource`: the figures cover several sources). */
export interface DigestOpenAlerts {
  kind: 'open';
  label: string;
  showSource: boolean;
  alerts: DigestOpenAlert[];
}

/** A sentence on its own line: `No trades.` */
export interface DigestLine {
  kind: 'line';
  text: string;
}

/** One element of a section. */
export type DigestBlock = DigestFact | DigestList | DigestTable | DigestLine | DigestOpenAlerts;

/** A titled section: ACCOUNT SUMMARY, HEALTH METRICS, … */
export interface DigestSection {
  title: string;
  blocks: DigestBlock[];
}

/** The sections of one source (or of all together); `summary` is the quiet source's one line. */
export interface DigestPart {
  title: string | null;
  summary: string | null;
  sections: DigestSection[];
}

/** Everything a digest shows, formatted, in order: what the text and HTML renderings lay out. */
export interface DigestLayout {
  heading: string;
  window: string;
  generated: string;
  late: string | null;
  parts: DigestPart[];
  closing: DigestSection[];
}

/**
 * Options of the renderings: the account currency (ISO 4217, default USD); `sources: 'table'`
 * shows each source as one row of a table instead of its own sections (an email that would
 * otherwise be too long to be shown whole).
 */
export interface RenderOptions {
  currency?: string;
  sources?: 'sections' | 'table';
}

/** The report as plain text (lines of at most 80 columns, except for long names). */
export function renderDigestText(report: DigestReport, opts: RenderOptions = {}): string {
  const layout = digestLayout(report, opts);
  const banner = '='.repeat(TEXT_WIDTH);
  const lines = [banner, layout.heading, layout.window, layout.generated];
  if (layout.late !== null) lines.push(layout.late);
  lines.push(banner);
  for (const part of layout.parts) {
    if (part.title !== null) lines.push('', part.title, banner);
    if (part.summary !== null) lines.push('', `  ${part.summary}`);
    for (const s of part.sections) lines.push(...sectionText(s));
  }
  if (layout.closing.length > 0) lines.push('', banner);
  for (const s of layout.closing) lines.push(...sectionText(s));
  lines.push('', banner);
  return lines.join('\n') + '\n';
}

/** The report's content, formatted and in order, for the text and HTML renderings. */
export function digestLayout(report: DigestReport, opts: RenderOptions = {}): DigestLayout {
  const currency = opts.currency ?? 'USD';
  const tz = report.timeZone;
  const parts: DigestPart[] = [];
  if (report.sources.length > 1) {
    parts.push(figuresPart('ALL SOURCES', report.overall, report, currency));
    if (opts.sources === 'table') parts.push(sourcesTablePart(report, currency));
    else
      for (const s of report.sources)
        parts.push(figuresPart(`SOURCE: ${s.source ?? ''}`, s, report, currency));
  } else {
    const only = report.sources[0];
    const title = only?.source != null ? `SOURCE: ${only.source}` : null;
    parts.push(figuresPart(title, report.overall, report, currency));
  }
  return {
    heading: `Daily Trading Report - ${report.date}`,
    window: `Window: ${formatInZone(report.window.start, tz)} → ${formatInZone(report.window.end, tz)} (${tz})`,
    generated: `Generated: ${formatInZone(report.generatedAt, tz, true)}`,
    late:
      report.lateFrom === undefined
        ? null
        : `LATE: scheduled for ${formatInZone(report.lateFrom, tz)}, sent ${formatInZone(report.generatedAt, tz)}`,
    parts,
    closing: closingSections(report),
  };
}

function figuresPart(
  title: string | null,
  f: SourceFigures,
  report: DigestReport,
  currency: string,
): DigestPart {
  const sections: DigestSection[] = [];
  if (!f.quiet) {
    sections.push(
      accountSection(f, report, currency),
      pnlSection(f, currency),
      performanceSection(f, currency),
      tradeSection(f, currency),
      symbolSection(f, currency),
      riskSection(f),
    );
  }
  if (!f.quiet || hasHealth(f)) sections.push(healthSection(f));
  if (!f.quiet || f.alerts.fired > 0 || f.alerts.open.length > 0) sections.push(alertSection(f, report));
  return { title, summary: f.quiet ? 'No trading activity recorded.' : null, sections };
}

/** Each source in one row: its equity and change, PnL, trades, win rate, alerts fired and open. */
function sourcesTablePart(report: DigestReport, currency: string): DigestPart {
  const table: DigestTable = {
    kind: 'table',
    columns: [
      { title: 'Source', width: 14, align: 'left' },
      { title: 'Equity', width: 13, align: 'right' },
      { title: 'Change', width: 9, align: 'right' },
      { title: 'Total PnL', width: 12, align: 'right' },
      { title: 'Trades', width: 6, align: 'right' },
      { title: 'Win%', width: 7, align: 'right' },
      { title: 'Alerts', width: 6, align: 'right' },
      { title: 'Open', width: 4, align: 'right' },
    ],
    rows: report.sources.map((f) => [
      f.source ?? '',
      money(f.account.equity, currency),
      f.account.equityChangePct === null ? NA : signedPercent(f.account.equityChangePct),
      f.account.total === null ? NA : signedMoney(f.account.total, currency),
      String(f.trades.count),
      ratio(f.trades.winRate, 1),
      String(f.alerts.fired),
      String(f.alerts.open.length),
    ]),
  };
  return {
    title: 'SOURCES',
    summary: null,
    sections: [
      {
        title: 'EACH SOURCE',
        blocks: [
          table,
          line(
            "Each source's own sections are in this email's plain-text part and in `klaxon digest --source NAME`.",
          ),
        ],
      },
    ],
  };
}

function accountSection(f: SourceFigures, report: DigestReport, currency: string): DigestSection {
  const a = f.account;
  const change =
    a.equityChange === null
      ? NA
      : signedMoney(a.equityChange, currency) +
        (a.equityChangePct === null ? '' : ` (${signedPercent(a.equityChangePct)})`);
  const blocks: DigestBlock[] = [
    fact('Equity', money(a.equity, currency)),
    fact(`Change (${windowLength(report.window)})`, change),
  ];
  if (a.newHigh !== null)
    blocks.push(
      fact(
        'New High',
        `${formatMoney(a.newHigh.value, currency)} at ${formatInZone(a.newHigh.at, report.timeZone)}`,
      ),
    );
  return { title: 'ACCOUNT SUMMARY', blocks };
}

function pnlSection(f: SourceFigures, currency: string): DigestSection {
  const a = f.account;
  return {
    title: 'PNL BREAKDOWN',
    blocks: [
      fact('Realized PnL', signed(a.realized, currency)),
      fact('Unrealized PnL', signed(a.unrealized, currency)),
      fact('Funding PnL', signed(a.funding, currency)),
      fact('Fees Paid', money(a.fees, currency)),
      fact('Total PnL', signed(a.total, currency)),
    ],
  };
}

function performanceSection(f: SourceFigures, currency: string): DigestSection {
  const a = f.account;
  const dd =
    a.maxDrawdown === null
      ? NA
      : formatMoney(a.maxDrawdown, currency) +
        (a.maxDrawdownPct === null ? '' : ` (${a.maxDrawdownPct.toFixed(2)}%)`);
  return {
    title: 'PERFORMANCE METRICS',
    blocks: [
      fact('Win Rate', ratio(f.trades.winRate, 2)),
      fact('Profit Factor', profitFactor(f)),
      fact('Sharpe Ratio', fixed(a.sharpe)),
      fact('Max Drawdown', dd),
    ],
  };
}

function tradeSection(f: SourceFigures, currency: string): DigestSection {
  const t = f.trades;
  const fills = t.fills > 0 ? [fact('Fills', String(t.fills))] : [];
  if (t.count === 0) return { title: 'TRADE STATISTICS', blocks: [line('No trades.'), ...fills] };
  return {
    title: 'TRADE STATISTICS',
    blocks: [
      fact('Total Trades', String(t.count)),
      fact('Winning', String(t.won)),
      fact('Losing', String(t.lost)),
      ...(t.even > 0 ? [fact('Break-even', String(t.even))] : []),
      fact('Avg Win', money(t.avgWin, currency)),
      fact('Avg Loss', money(t.avgLoss, currency)),
      fact('Largest Win', money(t.largestWin, currency)),
      fact('Largest Loss', money(t.largestLoss, currency)),
      ...fills,
    ],
  };
}

function symbolSection(f: SourceFigures, currency: string): DigestSection {
  if (f.symbols.length === 0) return { title: 'TOP PERFORMERS BY SYMBOL', blocks: [line('No trades.')] };
  return {
    title: 'TOP PERFORMERS BY SYMBOL',
    blocks: [
      {
        kind: 'table',
        columns: [
          { title: 'Symbol', width: 13, align: 'left' },
          { title: 'Total PnL', width: 13, align: 'left' },
          { title: 'Trades', width: 6, align: 'right' },
          { title: 'Win%', width: 8, align: 'right' },
        ],
        rows: f.symbols.map((s) => [
          s.symbol,
          formatMoney(s.pnl, currency),
          String(s.trades),
          ratio(s.winRate, 1),
        ]),
      },
    ],
  };
}

function riskSection(f: SourceFigures): DigestSection {
  const r = f.risk;
  const guards = r.guards.map((g) => ({ text: `${g.guard}: ${g.count}` }));
  const trips = r.breakerTrips.map((b) => ({ text: `Tripped by ${b.rule}: ${b.count}` }));
  let state: DigestItem;
  if (r.breakerTripped === true) state = { text: 'TRIPPED', severity: 'critical' };
  else if (r.breakerTripped === false)
    state = { text: trips.length === 0 ? 'All systems normal' : 'Normal now' };
  else state = { text: 'State not reported' };
  return {
    title: 'RISK CONTROLS',
    blocks: [
      { kind: 'list', label: 'Guard Triggers', items: guards.length > 0 ? guards : [{ text: 'None' }] },
      { kind: 'list', label: 'Circuit Breaker State', items: [state, ...trips] },
    ],
  };
}

function hasHealth(f: SourceFigures): boolean {
  const h = f.health;
  return (
    h.staleMarks + h.wsReconnects + h.unfilledOrders + h.apiErrors + h.orderRejects + h.heartbeatGaps > 0 ||
    h.lastHeartbeatAgeMs !== null
  );
}

function healthSection(f: SourceFigures): DigestSection {
  const h = f.health;
  return {
    title: 'HEALTH METRICS',
    blocks: [
      fact('Stale Marks', String(h.staleMarks)),
      fact('WS Reconnects', String(h.wsReconnects)),
      fact('Unfilled Orders', String(h.unfilledOrders)),
      fact('API Errors', String(h.apiErrors)),
      fact('Order Rejects', String(h.orderRejects)),
      fact('Heartbeat Gaps', String(h.heartbeatGaps)),
      fact('Longest Silence', duration(h.longestHeartbeatGapMs)),
      fact(
        'Last Heartbeat',
        h.lastHeartbeatAgeMs === null ? NA : `${formatDuration(h.lastHeartbeatAgeMs)} ago`,
      ),
    ],
  };
}

function alertSection(f: SourceFigures, report: DigestReport): DigestSection {
  const a = f.alerts;
  const bySeverity = SEVERITIES.filter((s) => a.bySeverity[s] > 0).map((s) => `${a.bySeverity[s]} ${s}`);
  const blocks: DigestBlock[] = [
    fact('Fired', bySeverity.length > 0 ? `${a.fired} (${bySeverity.join(', ')})` : String(a.fired)),
  ];
  if (a.noisiest.length > 0)
    blocks.push({
      kind: 'list',
      label: 'Noisiest Rules',
      items: a.noisiest.map((r) => ({
        text: `${r.name}: ${r.fired} fired, ${plural(r.notifications, 'notification')}`,
      })),
    });
  blocks.push(fact('Time to Ack', timing(a.timeToAck)), fact('Time to Resolve', timing(a.timeToResolve)));
  const showSource = f.source === null && report.sources.length > 1;
  blocks.push({
    kind: 'open',
    label: 'Still Open',
    showSource,
    alerts: a.open.map((o) => {
      const title = o.title !== undefined && o.title !== o.name ? o.title : null;
      const since = formatInZone(o.since, report.timeZone);
      const age = formatDuration(Math.max(0, report.window.end - o.since));
      return {
        severity: o.severity,
        name: o.name,
        title,
        source: o.source,
        since,
        age,
        acknowledged: o.acknowledged,
        text:
          `[${o.severity.toUpperCase()}] ${o.name}${showSource ? ` on ${o.source}` : ''} since ${since}` +
          ` (open ${age}${o.acknowledged ? ', acknowledged' : ''})${title === null ? '' : `: ${title}`}`,
      };
    }),
  });
  return { title: 'ALERTS', blocks };
}

function closingSections(report: DigestReport): DigestSection[] {
  const d = report.deliveries;
  const deliveries: DigestBlock[] =
    d.perReceiver.length === 0
      ? [line('No notifications delivered.')]
      : [
          {
            kind: 'table',
            columns: [
              { title: 'Receiver', width: 32, align: 'left' },
              { title: 'Sent', width: 8, align: 'right' },
              { title: 'Failed', width: 8, align: 'right' },
              { title: 'Dead', width: 8, align: 'right' },
            ],
            rows: d.perReceiver.map((r) => [r.receiver, String(r.sent), String(r.failed), String(r.dead)]),
          },
        ];
  deliveries.push(fact('Dead Letters', `${d.deadInWindow} in window, ${d.deadWaiting} waiting`));
  const sections: DigestSection[] = [{ title: 'DELIVERIES', blocks: deliveries }];
  const notes = allNotes(report);
  if (notes.length > 0) sections.push({ title: 'NOTES', blocks: notes.map((n) => line(`- ${n}`)) });
  return sections;
}

/** The overall notes, then each source's own (named) when there are several and it is not among them. */
function allNotes(report: DigestReport): string[] {
  const notes = [...report.overall.notes];
  if (report.sources.length > 1)
    for (const s of report.sources)
      for (const n of s.notes)
        if (!report.overall.notes.some((o) => o.includes(n))) notes.push(`${s.source ?? ''}: ${n}`);
  return notes;
}

function sectionText(s: DigestSection): string[] {
  const lines = ['', s.title, '-'.repeat(TEXT_WIDTH)];
  for (const b of s.blocks) {
    switch (b.kind) {
      case 'fact':
        lines.push(factLine(b.label, b.value));
        break;
      case 'line':
        lines.push(`  ${b.text}`);
        break;
      case 'list':
        lines.push(`  ${b.label}:`);
        for (const i of b.items) lines.push(`    ${i.text}`);
        break;
      case 'open':
        lines.push(factLine(b.label, String(b.alerts.length)));
        for (const a of b.alerts) lines.push(`    ${a.text}`);
        break;
      case 'table':
        lines.push(
          tableLine(
            b.columns,
            b.columns.map((c) => c.title),
          ),
          '-'.repeat(TEXT_WIDTH),
        );
        for (const r of b.rows) lines.push(tableLine(b.columns, r));
        break;
    }
  }
  return lines;
}

function factLine(label: string, value: string): string {
  const head = `  ${label}:`;
  return `${head.length < LABEL_WIDTH ? head.padEnd(LABEL_WIDTH) : `${head} `}${value}`;
}

function tableLine(columns: DigestColumn[], cells: string[]): string {
  return columns
    .map((c, i) => {
      const s = cells[i] ?? '';
      if (c.align === 'right') return s.length < c.width ? s.padStart(c.width) : ` ${s}`;
      return s.length < c.width ? s.padEnd(c.width) : `${s} `;
    })
    .join('')
    .trimEnd();
}

const NA = 'n/a';

function fact(label: string, value: string): DigestFact {
  return { kind: 'fact', label, value };
}

function line(text: string): DigestLine {
  return { kind: 'line', text };
}

function money(v: Maybe, currency: string): string {
  return v === null ? NA : formatMoney(v, currency);
}

function signed(v: Maybe, currency: string): string {
  return v === null ? NA : signedMoney(v, currency);
}

/**
 * Money with its sign, as the daily report shows PnL: `+$1,234.56`, `-$65.44`, `$0.00` (an amount
 * that rounds to zero cents has no sign).
 */
export function signedMoney(v: number, currency = 'USD'): string {
  const cents = Math.round(v * 100) / 100;
  if (cents === 0) return formatMoney(0, currency);
  return cents > 0 ? `+${formatMoney(cents, currency)}` : formatMoney(cents, currency);
}

/** A value in per cent with its sign and two decimals: `+2.52%`, `-0.40%`, `0.00%`. */
export function signedPercent(v: number): string {
  const s = v.toFixed(2);
  if (Number(s) === 0) return '0.00%';
  return v > 0 ? `+${s}%` : `${s}%`;
}

function ratio(v: Maybe, digits: number): string {
  return v === null ? NA : `${(v * 100).toFixed(digits)}%`;
}

function fixed(v: Maybe): string {
  return v === null || !Number.isFinite(v) ? NA : v.toFixed(2);
}

/** Gross profit over gross loss; without losses: `∞` when something won, `n/a` otherwise. */
function profitFactor(f: SourceFigures): string {
  if (f.trades.profitFactor !== null) return fixed(f.trades.profitFactor);
  return f.trades.won > 0 && f.trades.lost === 0 ? '∞' : NA;
}

function duration(ms: Maybe): string {
  return ms === null ? NA : formatDuration(ms);
}

function timing(t: { count: number; medianMs: Maybe; maxMs: Maybe }): string {
  if (t.count === 0 || t.medianMs === null || t.maxMs === null) return NA;
  return `median ${formatDuration(t.medianMs)}, max ${formatDuration(t.maxMs)} (${plural(t.count, 'alert')})`;
}

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

/** The window's length for the change label: `24h`, `48h`, or `1d 2h 30m` when not whole hours. */
function windowLength(w: { start: number; end: number }): string {
  const ms = w.end - w.start;
  return ms > 0 && ms % 3_600_000 === 0 ? `${ms / 3_600_000}h` : formatDuration(ms);
}
