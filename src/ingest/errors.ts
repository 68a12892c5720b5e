import type { FieldError } from '../model/inputs.js';

/** `enqueue` rejects with this when the queue (Redis) cannot take the batch: ingest answers 503. */
export class QueueUnavailableError extends Error {
  override readonly name = 'QueueUnavailableError';
  constructor(message = 'the ingest queue is unavailable', options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** An error with its HTTP answer: `{error: code, message, errors?}`. */
export class HttpError extends Error {
  override readonly name = 'HttpError';
  constructor(
    readonly statusCode: number,
    readonly code: string,
    message: string,
    readonly errors?: FieldError[],
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  body(): ErrorBody {
    const b: ErrorBody = { error: this.code, message: this.message };
    if (this.errors) b.errors = this.errors;
    return b;
  }
}

export interface ErrorBody {
  error: string;
  message: string;
  errors?: FieldError[];
}

/** At most this many field errors go into one answer. */
export const MAX_REPORTED_ERRORS = 100;

export function invalidInput(message: string, errors: FieldError[]): HttpError {
  return new HttpError(400, 'invalid_input', message, errors.slice(0, MAX_REPORTED_ERRORS));
}
