import type { Notification } from '../../model/notification.js';
import { SendError, type Channel, type SendResult } from '../channel.js';
import { renderLine } from '../render-text.js';

export interface ConsoleChannelOptions {
  /** Where lines go; process.stdout by default. */
  stream?: NodeJS.WritableStream;
}

/**
 * Writes one human-readable line per notification to a stream (stdout by default). The default
 * receiver when nothing is configured, so Klaxon shows its alerts out of the box.
 */
export class ConsoleChannel implements Channel<string> {
  readonly type = 'console';
  readonly name: string;
  private readonly stream: NodeJS.WritableStream;

  constructor(name: string, opts: ConsoleChannelOptions = {}) {
    this.name = name;
    this.stream = opts.stream ?? process.stdout;
  }

  /** The line to print, without its newline. */
  render(n: Notification): string {
    return renderLine(n);
  }

  send(line: string, opts: { signal: AbortSignal }): Promise<SendResult> {
    if (opts.signal.aborted) {
      return Promise.reject(
        new SendError(`console receiver "${this.name}": send aborted`, { retryable: true }),
      );
    }
    const stream = this.stream as NodeJS.WritableStream & { writableEnded?: boolean; destroyed?: boolean };
    if (stream.writableEnded === true || stream.destroyed === true) {
      return Promise.reject(
        new SendError(`console receiver "${this.name}": output stream is closed`, { retryable: false }),
      );
    }
    return new Promise<SendResult>((resolve, reject) => {
      stream.write(`${line}\n`, (err?: Error | null) => {
        if (err) {
          const code = (err as NodeJS.ErrnoException).code;
          reject(
            new SendError(`console receiver "${this.name}": write failed${code ? ` (${code})` : ''}`, {
              // A reader that went away (EPIPE) or a closed stream will not come back by retrying.
              retryable: !(
                code === 'EPIPE' ||
                code === 'ERR_STREAM_DESTROYED' ||
                code === 'ERR_STREAM_WRITE_AFTER_END'
              ),
              status: code,
            }),
          );
        } else {
          resolve({});
        }
      });
    });
  }
}
