import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SendError } from '../../src/channels/channel.js';
import { describe as describeContent } from '../../src/channels/content.js';
import { FileChannel, fileSendError, type FileRecord } from '../../src/channels/file/file-channel.js';
import { delivery, notification, unicodeLongDescription } from './helpers.js';

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
    expect([ch.type, ch.name, ch.path]).toEqual(['file', 'audit', path]);
    const n = notification();
    await expect(ch.send(delivery(n))).resolves.toEqual({});
    await ch.send(delivery(notification({ id: 'n-2', kind: 'repeat' })));

    const records = await readRecords(path);
    expect(records).toHaveLength(2);
    expect(records[0]).toEqual({
      version: '1',
      notification: n,
      title: '[CRITICAL] Drawdown above 5% on BTCUSDT',
      text: expect.stringContaining('\nSince: 2026-01-15T09:30:00.000Z\n') as unknown as string,
    });
    expect(records[1]?.notification.id).toBe('n-2');
    expect(records[1]?.notification.kind).toBe('repeat');
    expect(records[1]?.title).toBe('[CRITICAL] Drawdown above 5% on BTCUSDT');
    expect(records[1]?.text.split('\n')[0]).toBe('Reminder: this alert is still firing.');
  });

  it('renders the record from the content it is given, escaping U+2028/U+2029', () => {
    const ch = new FileChannel('r', { path: join(dir, 'unused.jsonl') });
    const n = notification({}, { annotations: { summary: 'S', description: 'para\u2028line\u2029end' } });
    const content = { ...describeContent(n), subject: '[CRITICAL] from the content' };
    const line = ch.render(n, content);
    expect(line.endsWith('\n')).toBe(true);
    expect(line.slice(0, -1)).not.toMatch(/[\n\u2028\u2029]/);
    expect(line).toContain('para\\u2028line\\u2029end');
    const record = JSON.parse(line) as FileRecord;
    expect(record.title).toBe('[CRITICAL] from the content');
    expect(record.notification).toEqual(n);
    expect(record.notification.alerts[0]?.annotations.description).toBe('para\u2028line\u2029end');
    expect(record.text.startsWith('para\u2028line\u2029end\n\nValue: 6.2\n')).toBe(true);
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
      return ch.send(delivery(notification({ id: `n-${i}` }, { annotations: { description: desc } })));
    });
    await Promise.all(sends);
    await chA.close();

    const content = await readFile(path, 'utf8');
    // U+2028/U+2029 from the fixture are escaped, so only \n separates records.
    expect(description).toMatch(/[\u2028\u2029]/);
    expect(content).not.toMatch(/[\u2028\u2029]/);
    const records = await readRecords(path);
    expect(records).toHaveLength(60);
    expect(new Set(records.map((r) => r.notification.id)).size).toBe(60);
    const uni = records.find((r) => r.notification.id === 'n-0');
    expect(uni?.notification.alerts[0]?.annotations.description).toBe(description);
    expect(records.find((r) => r.notification.id === 'n-1')?.text).toContain(big);
  });

  it('recreates the directory if it was removed after the first write', async () => {
    const sub = join(dir, 'rotated');
    const path = join(sub, 'x.jsonl');
    const ch = new FileChannel('r', { path });
    await ch.send(delivery(notification()));
    await rm(sub, { recursive: true });
    await ch.send(delivery(notification({ id: 'after' })));
    expect((await readRecords(path)).map((r) => r.notification.id)).toEqual(['after']);
  });

  it('fails permanently (EISDIR) when the path is a directory', async () => {
    const path = join(dir, 'is-a-dir');
    await mkdir(path);
    const ch = new FileChannel('dir', { path });
    const err = await ch.send(delivery(notification())).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err).toMatchObject({ retryable: false, status: 'EISDIR' });
    expect((err as SendError).message).toBe(
      `file receiver "dir": cannot append to ${path}: EISDIR (the path is a directory)`,
    );
  });

  it.runIf(existsSync('/dev/full'))('fails retryably (ENOSPC) when the disk is full', async () => {
    const ch = new FileChannel('full', { path: '/dev/full' });
    const err = await ch.send(delivery(notification())).catch((e: unknown) => e);
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
    expect(e('ENOSPC').retryable).toBe(true);
    expect(fileSendError('f', '/x', new Error('odd'))).toMatchObject({ retryable: true, status: undefined });
    expect(fileSendError('f', '/x', new Error('odd')).message).toBe(
      'file receiver "f": cannot append to /x: unknown error',
    );
  });

  it('does not write when the send is already aborted', async () => {
    const path = join(dir, 'aborted.jsonl');
    const ac = new AbortController();
    ac.abort();
    const ch = new FileChannel('ab', { path });
    await expect(ch.send(delivery(notification(), { signal: ac.signal }))).rejects.toMatchObject({
      retryable: true,
      message: 'file receiver "ab": send aborted',
    });
    expect(existsSync(path)).toBe(false);
  });
});

describe('FileChannel.verify', () => {
  it('makes the directory and says the file is writable, without writing to it', async () => {
    const path = join(dir, 'verify', 'deep', 'out.jsonl');
    const ch = new FileChannel('v', { path });
    await expect(ch.verify()).resolves.toBe(`${path} is writable`);
    expect(existsSync(join(dir, 'verify', 'deep'))).toBe(true);
    expect(existsSync(path)).toBe(false);
  });

  it('fails permanently when a parent of the path is a file', async () => {
    const blocker = join(dir, 'a-file');
    await writeFile(blocker, 'x');
    const path = join(blocker, 'out.jsonl');
    const err = await new FileChannel('v', { path }).verify().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SendError);
    expect(err).toMatchObject({ retryable: false });
    expect(['ENOTDIR', 'EEXIST']).toContain((err as SendError).status);
    expect((err as SendError).message).toMatch(/^file receiver "v": cannot append to /);
  });
});
