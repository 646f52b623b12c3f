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

/**
 * drizzle's DrizzleQueryError carries every bound parameter of the failed query, in `params`
 * and in its message ("Failed query: ...\nparams: ..."): passwords being stored, personal data
 * being written. Logged errors keep the SQL (it has only placeholders) and say how many
 * parameters there were, never their values; causes are scrubbed the same way.
 */
function withoutQueryParams(err: unknown): unknown {
  const serialized = pino.stdSerializers.err(err as Error) as unknown;
  if (!serialized || typeof serialized !== 'object') return serialized;
  const out = serialized as Record<string, unknown>;
  for (let e: unknown = err, depth = 0; e && typeof e === 'object' && depth < 8; e = (e as { cause?: unknown }).cause, depth++) {
    const params = (e as { params?: unknown }).params;
    if (!Array.isArray(params)) continue;
    // The exact text drizzle appended, so nothing else in the message is touched.
    const listed = `\nparams: ${String(params)}`;
    const replacement = `\nparams: [${params.length} not logged]`;
    for (const field of ['message', 'stack'] as const) {
      if (typeof out[field] === 'string') out[field] = (out[field] as string).split(listed).join(replacement);
    }
    if (e === err) out.params = `[${params.length} not logged]`;
  }
  return out;
}

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
    // `err` by convention, `error` as the Temporal SDK logs activity failures.
    serializers: { err: withoutQueryParams, error: withoutQueryParams },
    formatters: { level: (label) => ({ level: label }) },
  };
  return destination ? pino(options, destination as pino.DestinationStream) : pino(options);
}
