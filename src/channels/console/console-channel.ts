import { SendError, type Channel, type Delivery, type SendOutcome } from '../channel.js';
import { renderLine } from '../render-text.js';

export interface ConsoleChannelOptions {
  /** Where lines go; process.stderr by default, so that stdout carries only JSON logs. */
  stream?: NodeJS.WritableStream;
}

/**
 * Writes one human-readable line per notification to a stream (stderr by default). The default
 * receiver when nothing is configured, so Klaxon shows its alerts out of the box.
 */
export class ConsoleChannel implements Channel {
  readonly type = 'console';
  readonly name: string;
  private readonly stream: NodeJS.WritableStream;

  constructor(name: string, opts: ConsoleChannelOptions = {}) {
    this.name = name;
    this.stream = opts.stream ?? process.stderr;
  }

  send(d: Delivery): Promise<SendOutcome> {
    const line = renderLine(d.content, d.notification.createdAt);
    if (d.signal.aborted) {
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
    return new Promise<SendOutcome>((resolve, reject) => {
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
