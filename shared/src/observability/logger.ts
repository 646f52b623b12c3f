import { pino, type Logger, type LoggerOptions } from 'pino';

export type { Logger };

/**
 * Field names that may carry secrets anywhere in a log record. pino removes them
 * before serialisation, so a secret never reaches a log line even when a caller
 * logs a whole request body or config object by mistake.
 */
export const REDACTED_LOG_PATHS = [
  'password',
  'clientSecret',
  'client_secret',
  'secret',
  'apiKey',
  'token',
  'accessToken',
  'authorization',
  'encryptionKeys',
  '*.password',
  '*.clientSecret',
  '*.client_secret',
  '*.secret',
  '*.apiKey',
  '*.token',
  '*.accessToken',
  '*.authorization',
  '*.encryptionKeys',
  'req.headers.authorization',
  'headers.authorization',
  'headers.Authorization',
  'body.password',
  'body.clientSecret',
];

export interface CreateLoggerOptions {
  service: string;
  level?: string;
  /** Where lines go; defaults to stdout. Tests pass a stream to read what was logged. */
  destination?: NodeJS.WritableStream;
}

export function createLogger({ service, level = 'info', destination }: CreateLoggerOptions): Logger {
  const options: LoggerOptions = {
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    redact: { paths: REDACTED_LOG_PATHS, censor: '[REDACTED]' },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
