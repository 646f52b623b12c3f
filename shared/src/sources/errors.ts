import { EgressDeniedError } from '../net/egress.ts';
import type { ClassifiedError } from '../net/error-class.ts';
import { SourceConnectError } from './socket.ts';
import type { SourceConnectionParams } from './types.ts';

/*
 * Errors every engine shares. What a driver's own errors mean is engine-specific: each
 * connector classifies them (SourceConnector.classifyError), starting with classifyCommonError.
 */

/** A call to a source gave up: its overall deadline passed. */
export class SourceDeadlineError extends Error {
  override name = 'SourceDeadlineError';
  readonly code = 'ETIMEDOUT';
  constructor(
    readonly target: string,
    readonly deadlineMs: number,
  ) {
    super(`no answer from ${target} within ${Math.round(deadlineMs / 1000)} s`);
  }
}

/** A relation or column a call names does not exist (or the user cannot see it): the caller's mistake, never retried into success. */
export class SourceObjectNotFoundError extends Error {
  override name = 'SourceObjectNotFoundError';
}

/** The session refuses to write to a table (a view, no usable key, no privilege, a read-only server); `reason` says which. */
export class SourceNotWritableError extends Error {
  override name = 'SourceNotWritableError';
  constructor(readonly reason: string) {
    super(reason);
  }
}

/** A name no SQL statement can carry (empty, a NUL character). */
export class InvalidIdentifierError extends Error {
  override name = 'InvalidIdentifierError';
}

/** An engine this build has no connector for. */
export class UnsupportedEngineError extends Error {
  override name = 'UnsupportedEngineError';
}

export type ClassifiedSourceError = ClassifiedError & { code?: string };

/** A configured name in quotes; control characters and quotes replaced, so the message stays one readable line. */
export const quotedName = (s: string) => `"${[...s].map((ch) => (ch === '"' || ch.charCodeAt(0) < 0x20 ? '?' : ch)).join('')}"`;

export const targetOf = (params: Pick<SourceConnectionParams, 'host' | 'port'>) => `${params.host}:${params.port}`;

/** What SyncBridge's own connection machinery reports (deadline, bounded attempts, egress), the same for every engine; null for a driver's error. */
export function classifyCommonError(error: unknown, params: Pick<SourceConnectionParams, 'host' | 'port'>): ClassifiedSourceError | null {
  const target = targetOf(params);
  if (error instanceof SourceDeadlineError) return { errorClass: 'timeout', message: error.message };
  if (error instanceof SourceConnectError) {
    return error.code === 'POOL_CLOSED'
      ? { errorClass: 'timeout', message: `no answer from ${target} in time` }
      : { errorClass: 'protocol', message: error.message };
  }
  if (error instanceof EgressDeniedError) return { errorClass: 'unreachable', message: error.message };
  return null;
}

/** The driver's own message and code, for logs only, without the password. */
export function sourceErrorDetail(error: unknown, password: string | null): string {
  const e = error as { message?: unknown; code?: unknown };
  let detail = typeof e?.message === 'string' && e.message ? e.message : String(error);
  if (typeof e?.code === 'string' && !detail.includes(e.code)) detail = `${detail} (${e.code})`;
  if (password && password.length >= 3) detail = detail.split(password).join('***');
  return detail;
}
