import type { SourceConnector } from '../connector.ts';
import { classifyMysqlError } from './errors.ts';
import { MAX_IDENTIFIER_CHARACTERS, quoteIdent } from './ident.ts';
import { openMysqlPool } from './pool.ts';
import { MysqlSession } from './session.ts';

/** MySQL 8.0 and later, MariaDB 10.6 and later (one connector: the wire protocol and the catalog are shared; differences are per flavor). */
export const mysqlConnector: SourceConnector = {
  engines: ['mysql', 'mariadb'],
  displayName: 'MySQL/MariaDB',
  identifiers: { maxLength: MAX_IDENTIFIER_CHARACTERS, unit: 'characters', quote: quoteIdent },
  openSession(params, options = {}) {
    return new MysqlSession(params.engine, openMysqlPool(params, options));
  },
  classifyError: classifyMysqlError,
};
