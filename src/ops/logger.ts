import { pino, type Logger } from 'pino';

export type { Logger };

/**
 * JSON logs on stdout. Anything that may hold a credential is redacted by path; channels and
 * config errors are written so that they never put a secret into a message in the first place.
 */
export function createLogger(
  opts: { level?: string; name?: string; destination?: NodeJS.WritableStream } = {},
): Logger {
  const options = {
    name: opts.name ?? 'klaxon',
    level: opts.level ?? process.env.LOG_LEVEL ?? 'info',
    redact: {
      paths: [
        'req.headers.authorization',
        'headers.authorization',
        '*.token',
        '*.password',
        '*.pass',
        '*.routing_key',
        '*.secret_token',
        '*.link_secret',
        '*.url',
        'config.receivers',
      ],
      censor: '[redacted]',
    },
  };
  return opts.destination ? pino(options, opts.destination) : pino(options);
}

/** A logger that writes nothing, for tests and the CLI's quiet commands. */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}
