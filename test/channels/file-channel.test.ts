import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendError } from '../../src/channels/channel.js';
import { FileChannel, fileSendError, type FileRecord } from '../../src/channels/file/file-channel.js';
import { notification, unicodeLongDescription } from './helpers.js';

const signal = new AbortController().signal;
let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'klaxon-file-channel-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function readRecords(path: string): Promise<FileRecord[]> {
  const content = await readFile(path, 'utf8');
  expect(content.endsWith('\n')).toBe(true);
  return content
    .slice(0, -1)
    .split('\n')
    .map((l) => JSON.parse(l) as FileRecord);
}

describe('FileChannel', () => {
  it('creates parent directories and appends one JSON object per line', async () => {
    const path = join(dir, 'a', 'b', 'alerts.jsonl');
    const ch = new FileChannel('audit', { path });
    const n = notification();
    await ch.send(ch.render(n), { signal });
    await ch.send(ch.render(notification({ id: 'n-2', kind: 'repeat' })), { signal });

    const records = await readRecords(path);
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual({
      version: '1',
      notification: n,
      title: '[CRITICAL] Drawdown above 5% on BTCUSDT',
      text: expect.stringContaining('Started: 2026-01-15T09:30:00.000Z') as unknown as string,
    });
    expect(records[1]?.notification.id).toBe('n-2');
    expect(records[1]?.title).toBe('[CRITICAL] (repeat) Drawdown above 5% on BTCUSDT');
  });

  it('keeps lines whole when many notifications (large and unicode) are written concurrently', async () => {
    const path = join(dir, 'concurrent.jsonl');
    const chA = new FileChannel('a', { path });
    const chB = new FileChannel('b', { path }); // two receivers on one file
    const { description } = unicodeLongDescription();
    const big = 'x'.repeat(1_200_000); // larger than one write(2) of appendFile (512 KiB)
    const sends = Array.from({ length: 60 }, (_, i) => {
      const ch = i % 2 === 0 ? chA : chB;
      const desc = i % 3 === 0 ? description : i % 3 === 1 ? big : `short ${i}`;
      return ch.send(ch.render(notification({ id: `n-${i}` }, { annotations: { description: desc } })), {
        signal,
      });
    });
    await Promise.all(sends);

    const content = await readFile(path, 'utf8');
    // U+2028/U+2029 from the fixture are escaped, so only \n separates records.
    expect(content).not.toMatch(/[\u2028\u2029]/);
    const records = await readRecords(path);
    expect(records).toHaveLength(60);
    expect(new Set(records.map((r) => r.notification.id)).size).toBe(60);
    const uni = records.find((r) => r.notification.id === 'n-0');
    expect(uni?.notification.alert.annotations.description).toBe(description);
    expect(records.find((r) => r.notification.id === 'n-1')?.text).toContain(big);
  });

  it('recreates the directory if it was removed after the first write', async () => {
    const sub = join(dir, 'rotated');
    const path = join(sub, 'x.jsonl');
    const ch = new FileChannel('r', { path });
    await ch.send(ch.render(notification()), { signal });
    await rm(sub, { recursive: true });
    await ch.send(ch.render(notification({ id: 'after' })), { signal });
    expect((await readRecords(path)).map((r) => r.notification.id)).toEqual(['after']);
  });

  it('fails permanently (EISDIR) when the path is a directory', async () => {
    const path = join(dir, 'is-a-dir');
    await mkdir(path);
    const ch = new FileChannel('dir', { path });
    const err = await ch.send(ch.render(notification()), { signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err).toMatchObject({ retryable: false, status: 'EISDIR' });
    expect((err as SendError).message).toBe(
      `file receiver "dir": cannot append to ${path}: EISDIR (the path is a directory)`,
    );
    await expect(ch.verify()).resolves.toBeUndefined(); // the directory itself is writable
  });

  it.runIf(existsSync('/dev/full'))('fails retryably (ENOSPC) when the disk is full', async () => {
    const ch = new FileChannel('full', { path: '/dev/full' });
    const err = await ch.send(ch.render(notification()), { signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err).toMatchObject({ retryable: true, status: 'ENOSPC' });
    expect((err as SendError).message).toContain('no space left on device');
  });

  it('classifies file-system errors', () => {
    const e = (code: string) => fileSendError('f', '/x', Object.assign(new Error(code), { code }));
    expect(e('EACCES')).toMatchObject({ retryable: false, status: 'EACCES' });
    expect(e('EACCES').message).toBe('file receiver "f": cannot append to /x: EACCES (permission denied)');
    expect(e('EROFS').retryable).toBe(false);
    expect(e('ENOTDIR').retryable).toBe(false);
    expect(e('EAGAIN').retryable).toBe(true);
    expect(e('EMFILE').retryable).toBe(true);
    expect(fileSendError('f', '/x', new Error('odd')).retryable).toBe(true);
  });

  it('does not write when the send is already aborted', async () => {
    const path = join(dir, 'aborted.jsonl');
    const ac = new AbortController();
    ac.abort();
    const ch = new FileChannel('ab', { path });
    await expect(ch.send(ch.render(notification()), { signal: ac.signal })).rejects.toMatchObject({
      retryable: true,
    });
    expect(existsSync(path)).toBe(false);
  });
});
