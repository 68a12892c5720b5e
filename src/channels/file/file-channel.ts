import { constants } from 'node:fs';
import { access, appendFile, mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import type { Notification } from '../../model/notification.js';
import { SendError, type Channel, type Delivery, type SendOutcome } from '../channel.js';
import type { MessageContent } from '../content.js';
import { renderText } from '../render-text.js';

export interface FileChannelOptions {
  path: string;
}

/** The object written on each line of the file. */
export interface FileRecord {
  version: '1';
  notification: Notification;
  title: string;
  text: string;
}

/**
 * errno codes that need someone to fix the configuration or the file system. Everything else
 * (ENOSPC, EAGAIN, EBUSY, EMFILE, EIO, unknown errors…) may pass later, so it is retryable: a
 * retry costs little, a dropped alert a lot.
 */
const PERMANENT_CODES = new Set([
  'EACCES',
  'EPERM',
  'EISDIR',
  'ENOTDIR',
  'EROFS',
  'EINVAL',
  'ENAMETOOLONG',
  'ELOOP',
  'EEXIST',
]);

/**
 * Appends writes of one process to one path one after another, so that lines never interleave
 * even when they are larger than what one `write(2)` with O_APPEND writes at once. Shared by every
 * file channel of the process (two receivers may name the same file).
 */
const tails = new Map<string, Promise<unknown>>();

function serialized<T>(key: string, task: () => Promise<T>): Promise<T> {
  const prev = tails.get(key) ?? Promise.resolve();
  const run = prev.then(task, task);
  const tail = run.catch(() => undefined);
  tails.set(key, tail);
  void tail.then(() => {
    if (tails.get(key) === tail) tails.delete(key);
  });
  return run;
}

/**
 * Appends one JSON object per line (JSONL) to a file: the whole notification plus its rendered
 * title and text. Parent directories are created. Each line is written by a single append, so a
 * reader never sees half a line from this process, and concurrent sends are serialized.
 */
export class FileChannel implements Channel {
  readonly type = 'file';
  readonly name: string;
  readonly path: string;
  private dirReady = false;

  constructor(name: string, opts: FileChannelOptions) {
    this.name = name;
    this.path = resolve(opts.path);
  }

  /** The JSONL line, newline included. */
  render(n: Notification, content: MessageContent): string {
    const { title, text } = renderText(content);
    const record: FileRecord = { version: '1', notification: n, title, text };
    // U+2028/U+2029 are valid inside JSON strings but some line readers split on them.
    return (
      JSON.stringify(record)
        .replace(/\u2028/g, '\\u2028')
        .replace(/\u2029/g, '\\u2029') + '\n'
    );
  }

  async send(d: Delivery): Promise<SendOutcome> {
    if (d.signal.aborted)
      throw new SendError(`file receiver "${this.name}": send aborted`, { retryable: true });
    const data = this.render(d.notification, d.content);
    await serialized(this.path, async () => {
      try {
        await this.append(data);
      } catch (err) {
        throw fileSendError(this.name, this.path, err);
      }
    });
    return {};
  }

  /** Checks that the directory exists (or can be made) and the file can be written. */
  async verify(): Promise<string> {
    try {
      await mkdir(dirname(this.path), { recursive: true });
      await access(dirname(this.path), constants.W_OK);
      await access(this.path, constants.W_OK).catch((err: NodeJS.ErrnoException) => {
        if (err.code !== 'ENOENT') throw err;
      });
      const existing = await stat(this.path).catch(() => undefined);
      if (existing?.isDirectory()) throw Object.assign(new Error('is a directory'), { code: 'EISDIR' });
    } catch (err) {
      throw fileSendError(this.name, this.path, err);
    }
    return `${this.path} is writable`;
  }

  /** Waits for the writes in flight. */
  async close(): Promise<void> {
    await tails.get(this.path);
  }

  private async append(data: string): Promise<void> {
    if (!this.dirReady) {
      await mkdir(dirname(this.path), { recursive: true });
      this.dirReady = true;
    }
    try {
      await appendFile(this.path, data, { encoding: 'utf8', mode: 0o640 });
    } catch (err) {
      // The directory may have been removed since (log clean-up): make it again, once.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
      await mkdir(dirname(this.path), { recursive: true });
      await appendFile(this.path, data, { encoding: 'utf8', mode: 0o640 });
    }
  }
}

/** Maps a file-system error to a SendError: ENOSPC/EAGAIN… retryable, EACCES/EISDIR… permanent. */
export function fileSendError(receiver: string, path: string, err: unknown): SendError {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  const retryable = code === undefined || !PERMANENT_CODES.has(code);
  const what = code ? `${code}${explain(code)}` : 'unknown error';
  return new SendError(`file receiver "${receiver}": cannot append to ${path}: ${what}`, {
    retryable,
    status: code,
  });
}

function explain(code: string): string {
  const d: Record<string, string> = {
    ENOSPC: ' (no space left on device)',
    EDQUOT: ' (disk quota exceeded)',
    EACCES: ' (permission denied)',
    EPERM: ' (operation not permitted)',
    EISDIR: ' (the path is a directory)',
    ENOTDIR: ' (a parent of the path is not a directory)',
    EROFS: ' (read-only file system)',
    EAGAIN: ' (resource temporarily unavailable)',
    EMFILE: ' (too many open files)',
  };
  return d[code] ?? '';
}
