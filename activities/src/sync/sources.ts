import type postgres from 'postgres';
import { connectPostgresSource, type SourceConnectionParams } from '@syncbridge/shared/sources';

/**
 * One small connection pool per source instance and worker process: batches reuse
 * connections instead of opening one per activity. A changed instance row
 * (credentials, host) gets a new pool.
 */
const pools = new Map<string, { version: string; sql: postgres.Sql }>();

export function sourcePool(instanceId: string, version: string, params: SourceConnectionParams): postgres.Sql {
  const cached = pools.get(instanceId);
  if (cached?.version === version) return cached.sql;
  if (cached) void cached.sql.end({ timeout: 5 });
  const sql = connectPostgresSource(params, { max: 4 });
  pools.set(instanceId, { version, sql });
  return sql;
}

export async function closeSourcePools(): Promise<void> {
  await Promise.all([...pools.values()].map((p) => p.sql.end({ timeout: 5 })));
  pools.clear();
}
