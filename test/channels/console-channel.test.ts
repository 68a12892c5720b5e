import { PassThrough, Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { SendError } from '../../src/channels/channel.js';
import { ConsoleChannel } from '../../src/channels/console/console-channel.js';
import { notification, T0 } from './helpers.js';

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

const signal = new AbortController().signal;

describe('ConsoleChannel', () => {
  it('writes exactly one human-readable line per notification', async () => {
    const out = new PassThrough();
    const read = collect(out);
    const ch = new ConsoleChannel('stdout', { stream: out });
    expect(ch.type).toBe('console');
    expect(ch.name).toBe('stdout');

    await ch.send(ch.render(notification()), { signal });
    await ch.send(
      ch.render(
        notification(
          { kind: 'resolved', createdAt: T0 + 120_000 },
          { status: 'resolved', endsAt: T0 + 90_000, annotations: { description: 'multi\nline\u2028text' } },
        ),
      ),
      { signal },
    );

    const lines = read().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toBe(
      '2026-01-15T09:31:00.000Z [CRITICAL] Drawdown above 5% on BTCUSDT | Equity fell 6.2% from the session high.' +
        ' | value=6.2 | labels: source=bot-eu-1, symbol=BTCUSDT | started 2026-01-15T09:30:00.000Z' +
        ' | occurrences=3 | fp=fp-0123456789abcdef',
    );
    expect(lines[1]).toBe(
      '2026-01-15T09:32:00.000Z [RESOLVED] DrawdownHigh | multi line text | value=6.2' +
        ' | labels: source=bot-eu-1, symbol=BTCUSDT | started 2026-01-15T09:30:00.000Z' +
        ' | ended 2026-01-15T09:31:30.000Z | occurrences=3 | fp=fp-0123456789abcdef',
    );
  });

  it('writes a summary as one line naming the alerts and the rest', async () => {
    const out = new PassThrough();
    const read = collect(out);
    const ch = new ConsoleChannel('stdout', { stream: out });
    const n = notification({
      kind: 'summary',
      summary: {
        total: 5,
        alerts: [notification().alert, notification({}, { severity: 'info', name: 'X' }).alert],
      },
    });
    await ch.send(ch.render(n), { signal });
    expect(read()).toBe(
      '2026-01-15T09:31:00.000Z [CRITICAL] 5 more alerts | CRITICAL Drawdown above 5% on BTCUSDT;' +
        ' INFO Drawdown above 5% on BTCUSDT; 3 more\n',
    );
  });

  it('fails permanently when the stream is closed, and retryably when aborted', async () => {
    const out = new PassThrough();
    out.end();
    const ch = new ConsoleChannel('stdout', { stream: out });
    const err = await ch.send('x', { signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect((err as SendError).retryable).toBe(false);

    const ac = new AbortController();
    ac.abort();
    const aborted = await new ConsoleChannel('c', { stream: new PassThrough() })
      .send('x', { signal: ac.signal })
      .catch((e: unknown) => e);
    expect((aborted as SendError).retryable).toBe(true);
  });

  it('maps a write error (EPIPE) to a permanent SendError', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    broken.on('error', () => undefined);
    const err = await new ConsoleChannel('c', { stream: broken })
      .send('x', { signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect((err as SendError).retryable).toBe(false);
    expect((err as SendError).status).toBe('EPIPE');
    expect((err as SendError).message).toBe('console receiver "c": write failed (EPIPE)');
  });
});
