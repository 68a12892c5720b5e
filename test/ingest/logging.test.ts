import { Writable } from 'node:stream';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ALL_SECRETS, TOKENS, basic, fixtureText, raw, startServer } from './helpers.js';

describe('logs', () => {
  it('never contain a token or password, but name the token and carry the request id', async () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        lines.push(chunk.toString('utf8'));
        cb();
      },
    });
    const logger = pino({ level: 'debug' }, sink);
    const s = await startServer({ logger });
    try {
      await s.call('/v1/metrics', {
        json: { metrics: { x: 1 } },
        token: TOKENS.grid,
        headers: { 'x-request-id': 'corr-1' },
      });
      await s.call('/v1/metrics', { json: { metrics: { x: 1 } }, token: `${TOKENS.grid}-wrong` });
      await s.call('/v1/metrics', raw('{"metrics":{"x": NaN}}', TOKENS.grid));
      await s.call('/v1/alertmanager', {
        method: 'POST',
        body: fixtureText('truncated-max-alerts.json'),
        headers: { 'content-type': 'application/json', authorization: basic('am', TOKENS.amPassword) },
      });
      await s.call('/v1/alertmanager', {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json', authorization: basic('am', `${TOKENS.amPassword}x`) },
      });
      await s.call('/v1/silences', { token: TOKENS.grid });
    } finally {
      await s.close();
    }
    const all = lines.join('');
    for (const secret of ALL_SECRETS) expect(all).not.toContain(secret);
    expect(all).not.toContain(Buffer.from(`am:${TOKENS.amPassword}`).toString('base64'));
    const entries = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(entries.some((e) => e.reqId === 'corr-1' && e.token === 'grid')).toBe(true);
    expect(entries.some((e) => e.truncatedAlerts === 4)).toBe(true);
    expect(entries.some((e) => e.status === 401)).toBe(true);
  });
});
