import type { SourceConnector } from '../connector.ts';
import { classifyPostgresError } from './errors.ts';
import { quoteIdent } from './ident.ts';
import { openPostgresPool } from './pool.ts';
import { PostgresSession } from './session.ts';

/** PostgreSQL 12 and later (introspection uses pg_partition_root and attgenerated). */
export const postgresConnector: SourceConnector = {
  engines: ['postgres'],
  displayName: 'PostgreSQL',
  // NAMEDATALEN - 1: longer names are cut by the server, so two long names could mean one table.
  identifiers: { maxLength: 63, unit: 'bytes', quote: quoteIdent },
  openSession(params, options = {}) {
    const { sql, sockets } = openPostgresPool(params, options);
    return new PostgresSession(sql, sockets);
  },
  classifyError: classifyPostgresError,
};
