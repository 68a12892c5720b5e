import { drawAlertsChart, drawEquityChart } from './charts.js';
import { renderDigestHtml } from './render-html.js';
import type { DigestReport } from './types.js';

/**
 * The digest as one self-contained web page (`klaxon digest --format html`, the page a digest
 * link opens): the email's HTML with its charts inline as `data:` URLs, so it loads nothing.
 */
export function digestPage(report: DigestReport): string {
  const currency = report.currency ?? 'USD';
  const png = (b: Buffer) => `data:image/png;base64,${b.toString('base64')}`;
  return renderDigestHtml(report, {
    images: { equity: png(drawEquityChart(report, { currency })), alerts: png(drawAlertsChart(report)) },
    currency,
  });
}
