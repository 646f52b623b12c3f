import { classifyNetworkError, errorCodeOf } from '../../net/error-class.ts';
import { classifyCommonError, quotedName, targetOf, type ClassifiedSourceError } from '../errors.ts';
import type { SourceConnectionParams } from '../types.ts';

type Params = Pick<SourceConnectionParams, 'host' | 'port' | 'databaseName' | 'username'>;

/**
 * What a failed PostgreSQL call is reported as (see shared/src/net/error-class.ts): a class and
 * a message made of what the caller configured, never the server's text. The SQLSTATE, a
 * standard five-character code, is kept in `code`.
 */
export function classifyPostgresError(error: unknown, params: Params): ClassifiedSourceError {
  const common = classifyCommonError(error, params);
  if (common) return common;
  const target = targetOf(params);
  const code = errorCodeOf(error) ?? '';
  if (/^[0-9A-Z]{5}$/.test(code)) {
    const user = quotedName(params.username);
    const db = quotedName(params.databaseName);
    if (code === '28P01' || code === '28000')
      return { errorClass: 'authentication_failed', message: `authentication failed for user ${user} on ${target}`, code };
    if (code === '3D000') return { errorClass: 'database_not_found', message: `database ${db} does not exist on ${target}`, code };
    if (code === '42501') return { errorClass: 'permission_denied', message: `user ${user} lacks a permission on database ${db}`, code };
    if (code === '53300') return { errorClass: 'server_error', message: `${target} has too many connections`, code };
    if (code === '57P03') return { errorClass: 'server_error', message: `${target} is starting up or shutting down`, code };
    if (code === '57014') return { errorClass: 'timeout', message: `a statement on ${target} ran past its time limit`, code };
    if (code === '08P01') return { errorClass: 'protocol', message: `${target} broke the PostgreSQL protocol`, code };
    return { errorClass: 'server_error', message: `${target} answered with error ${code}`, code };
  }
  if (code === 'CONNECT_TIMEOUT') return { errorClass: 'timeout', message: `${target} did not complete the PostgreSQL handshake in time` };
  if (code === 'CONNECTION_DESTROYED') return { errorClass: 'timeout', message: `no answer from ${target} in time` };
  if (code === 'CONNECTION_CLOSED' || code === 'CONNECTION_ENDED') return { errorClass: 'protocol', message: `${target} closed the connection` };
  if (code === 'SASL_SIGNATURE_MISMATCH') return { errorClass: 'authentication_failed', message: `${target} failed to prove it knows the password (SCRAM)` };
  if (code === 'AUTH_TYPE_NOT_IMPLEMENTED')
    return { errorClass: 'protocol', message: `${target} asks for an authentication method SyncBridge does not support` };
  return classifyNetworkError(error, target) ?? { errorClass: 'protocol', message: `unexpected answer from ${target}` };
}
