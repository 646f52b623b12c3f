import type { Logger as TemporalLogger, LogLevel, LogMetadata } from '@temporalio/worker';
import type { Logger } from '@syncbridge/shared/logger';

/** Sends the Temporal SDK's own logs (worker state, workflow/activity logger calls) through pino. */
export function temporalRuntimeLogger(logger: Logger): TemporalLogger {
  const log = logger.child({ component: 'temporal' });
  const emit = (level: LogLevel, message: string, meta?: LogMetadata) => {
    const fn = level === 'TRACE' ? 'trace' : level === 'DEBUG' ? 'debug' : level === 'WARN' ? 'warn' : level === 'ERROR' ? 'error' : 'info';
    log[fn](meta ?? {}, message);
  };
  return {
    log: emit,
    trace: (m, meta) => emit('TRACE', m, meta),
    debug: (m, meta) => emit('DEBUG', m, meta),
    info: (m, meta) => emit('INFO', m, meta),
    warn: (m, meta) => emit('WARN', m, meta),
    error: (m, meta) => emit('ERROR', m, meta),
  };
}
