import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SendError } from '../../src/channels/channel.js';
import { ConsoleChannel } from '../../src/channels/console/console-channel.js';
import { alertView, delivery, notification, T0 } from './helpers.js';

function collect(stream: PassThrough): () => string {
  const chunks: Buffer[] = [];
  stream.on('data', (c: Buffer) => chunks.push(c));
  return () => Buffer.concat(chunks).toString('utf8');
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe('ConsoleChannel', () => {
  it('writes exactly one human-readable line per notification', async () => {
    const out = new PassThrough();
    const read = collect(out);
    const ch = new ConsoleChannel('stderr', { stream: out });
    expect(ch.type).toBe('console');
    expect(ch.name).toBe('stderr');

    await expect(ch.send(delivery(notification()))).resolves.toEqual({});
    await ch.send(
      delivery(
        notification(
          { kind: 'resolved', createdAt: T0 + 120_000 },
          { status: 'resolved', endsAt: T0 + 90_000, annotations: { description: 'multi\nline\u2028text' } },
        ),
      ),
    );

    const lines = read().split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');
    expect(lines[0]).toBe(
      '2026-01-15T09:31:00.000Z [CRITICAL] Drawdown above 5% on BTCUSDT | Equity fell 6.2% from the session high.' +
        ' | Value: 6.2 | Severity: critical | Source: bot-eu-1 | Symbol: BTCUSDT | Firing for: 1m' +
        ' | Since: 2026-01-15T09:30:00.000Z | Occurrences: 3' +
        ' | alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1',
    );
    expect(lines[1]).toBe(
      '2026-01-15T09:32:00.000Z [RESOLVED] DrawdownHigh | Resolved after 1m 30s (was CRITICAL). | multi line text | Value at resolve: 6.2' +
        ' | Severity: critical | Source: bot-eu-1 | Symbol: BTCUSDT | Lasted: 1m 30s' +
        ' | Resolved at: 2026-01-15T09:31:30.000Z | Occurrences: 3' +
        ' | alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1',
    );
  });

  it('writes what the delivery content says, not wording of its own', async () => {
    const out = new PassThrough();
    const read = collect(out);
    const d = delivery(notification());
    d.content = { ...d.content, subject: '[CRITICAL] decided elsewhere', description: undefined, facts: [] };
    await new ConsoleChannel('c', { stream: out }).send(d);
    expect(read()).toBe(
      '2026-01-15T09:31:00.000Z [CRITICAL] decided elsewhere' +
        ' | alert DrawdownHigh · fingerprint fp-0123456789abcdef · notification n-1\n',
    );
  });

  it('writes a summary as one line naming the alerts and the rest', async () => {
    const out = new PassThrough();
    const read = collect(out);
    const ch = new ConsoleChannel('stderr', { stream: out });
    const n = notification({
      kind: 'summary',
      total: 5,
      alerts: [alertView(), alertView({ severity: 'info', name: 'X' })],
    });
    await ch.send(delivery(n));
    expect(read()).toBe(
      '2026-01-15T09:31:00.000Z [CRITICAL] 5 more alerts held back by the rate limit' +
        ' | CRITICAL Drawdown above 5% on BTCUSDT; INFO Drawdown above 5% on BTCUSDT; 3 more' +
        ' | notification n-1\n',
    );
  });

  it('writes to stderr by default, so stdout stays pure JSON logs', async () => {
    const written: string[] = [];
    const stderr = vi
      .spyOn(process.stderr, 'write')
      .mockImplementation((chunk: string | Uint8Array, ...rest: unknown[]) => {
        written.push(String(chunk));
        const cb = rest.find((r): r is (err?: Error | null) => void => typeof r === 'function');
        cb?.(null);
        return true;
      });
    const stdout = vi.spyOn(process.stdout, 'write');
    await new ConsoleChannel('default').send(delivery(notification()));
    expect(stderr).toHaveBeenCalledTimes(1);
    expect(stdout).not.toHaveBeenCalled();
    expect(written).toHaveLength(1);
    expect(written[0]).toMatch(
      /^2026-01-15T09:31:00\.000Z \[CRITICAL\] Drawdown above 5% on BTCUSDT \|.*\n$/,
    );
  });

  it('fails permanently when the stream is closed, and retryably when aborted', async () => {
    const out = new PassThrough();
    out.end();
    const ch = new ConsoleChannel('stderr', { stream: out });
    const err = await ch.send(delivery(notification())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect((err as SendError).retryable).toBe(false);
    expect((err as SendError).message).toBe('console receiver "stderr": output stream is closed');

    const ac = new AbortController();
    ac.abort();
    const untouched = new PassThrough();
    const read = collect(untouched);
    const aborted = await new ConsoleChannel('c', { stream: untouched })
      .send(delivery(notification(), { signal: ac.signal }))
      .catch((e: unknown) => e);
    expect(aborted).toBeInstanceOf(SendError);
    expect((aborted as SendError).retryable).toBe(true);
    expect((aborted as SendError).message).toBe('console receiver "c": send aborted');
    expect(read()).toBe('');
  });

  it('maps a write error (EPIPE) to a permanent SendError', async () => {
    const broken = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    broken.on('error', () => undefined);
    const err = await new ConsoleChannel('c', { stream: broken })
      .send(delivery(notification()))
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect((err as SendError).retryable).toBe(false);
    expect((err as SendError).status).toBe('EPIPE');
    expect((err as SendError).message).toBe('console receiver "c": write failed (EPIPE)');
  });

  it('maps other write errors to a retryable SendError', async () => {
    const busy = new Writable({
      write(_chunk, _enc, cb) {
        cb(Object.assign(new Error('try again'), { code: 'EAGAIN' }));
      },
    });
    busy.on('error', () => undefined);
    const err = await new ConsoleChannel('c', { stream: busy })
      .send(delivery(notification()))
      .catch((e: unknown) => e);
    expect(err).toMatchObject({ retryable: true, status: 'EAGAIN' });
  });
});
