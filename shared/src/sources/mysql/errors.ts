import { classifyNetworkError, errorCodeOf } from '../../net/error-class.ts';
import { classifyCommonError, quotedName, targetOf, type ClassifiedSourceError } from '../errors.ts';
import type { SourceConnectionParams } from '../types.ts';

type Params = Pick<SourceConnectionParams, 'host' | 'port' | 'databaseName' | 'username' | 'engine'>;

/**
 * What a failed MySQL/MariaDB call is reported as (see shared/src/net/error-class.ts): a class
 * and a message made of what the caller configured, never the server's text. The driver's
 * symbolic code (ER_ACCESS_DENIED_ERROR, ...) is kept in `code` for server errors.
 */
export function classifyMysqlError(error: unknown, params: Params): ClassifiedSourceError {
  const common = classifyCommonError(error, params);
  if (common) return common;
  const target = targetOf(params);
  const product = params.engine === 'mariadb' ? 'MariaDB' : 'MySQL';
  const e = error as { errno?: unknown; code?: unknown; sqlState?: unknown };
  const code = typeof e?.code === 'string' ? e.code : (errorCodeOf(error) ?? '');
  const user = quotedName(params.username);
  const db = quotedName(params.databaseName);
  if (typeof e?.errno === 'number' && typeof e.sqlState === 'string') {
    switch (code) {
      case 'ER_ACCESS_DENIED_ERROR':
      case 'ER_ACCESS_DENIED_NO_PASSWORD_ERROR':
      case 'ER_NOT_SUPPORTED_AUTH_MODE':
        return { errorClass: 'authentication_failed', message: `authentication failed for user ${user} on ${target}`, code };
      case 'ER_HOST_NOT_PRIVILEGED':
      case 'ER_HOST_IS_BLOCKED':
        return { errorClass: 'authentication_failed', message: `${target} does not accept connections from this host for user ${user}`, code };
      case 'ER_BAD_DB_ERROR':
        return { errorClass: 'database_not_found', message: `database ${db} does not exist on ${target}`, code };
      case 'ER_DBACCESS_DENIED_ERROR':
        return { errorClass: 'permission_denied', message: `user ${user} may not use database ${db} on ${target}`, code };
      case 'ER_TABLEACCESS_DENIED_ERROR':
      case 'ER_COLUMNACCESS_DENIED_ERROR':
      case 'ER_SPECIFIC_ACCESS_DENIED_ERROR':
        return { errorClass: 'permission_denied', message: `user ${user} lacks a permission on database ${db}`, code };
      case 'ER_CON_COUNT_ERROR':
      case 'ER_TOO_MANY_USER_CONNECTIONS':
        return { errorClass: 'server_error', message: `${target} has too many connections`, code };
      case 'ER_SERVER_SHUTDOWN':
        return { errorClass: 'server_error', message: `${target} is shutting down`, code };
      case 'ER_STATEMENT_TIMEOUT':
      case 'ER_QUERY_TIMEOUT':
        return { errorClass: 'timeout', message: `a statement on ${target} ran past its time limit`, code };
      default:
        return { errorClass: 'server_error', message: `${target} answered with error ${code || String(e.errno)}`, ...(code ? { code } : {}) };
    }
  }
  if (code === 'HANDSHAKE_NO_SSL_SUPPORT') return { errorClass: 'tls', message: `${target} does not offer TLS (sslMode requires it)` };
  if (code === 'HANDSHAKE_SSL_ERROR') {
    const network = classifyNetworkError(error, target);
    return network?.errorClass === 'tls' ? network : { errorClass: 'tls', message: `the TLS handshake with ${target} failed` };
  }
  if (code === 'PROTOCOL_CONNECTION_LOST' || code === 'PROTOCOL_ENQUEUE_AFTER_FATAL_ERROR')
    return { errorClass: 'protocol', message: `${target} closed the connection` };
  if (code === 'PROTOCOL_SEQUENCE_TIMEOUT') return { errorClass: 'timeout', message: `${target} did not complete the ${product} handshake in time` };
  if (code === 'AUTH_SWITCH_PLUGIN_ERROR' || code === 'PROTOCOL_INCORRECT_PACKET_SEQUENCE' || code === 'PROTOCOL_UNEXPECTED_PACKET')
    return { errorClass: 'protocol', message: `${target} broke the ${product} protocol` };
  return classifyNetworkError(error, target) ?? { errorClass: 'protocol', message: `unexpected answer from ${target}` };
}
