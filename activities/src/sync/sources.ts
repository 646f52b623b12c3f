import type postgres from 'postgres';
import { connectPostgresSource, type SourceConnectionParams } from '@syncbridge/shared/sources';

/**
 * One small connection pool per source instance, owned by the worker's activity dependencies:
 * batches reuse connections instead of opening one per activity, a changed instance row
 * (credentials, host) gets a new pool, and the worker closes them all when it stops.
 */
export class SourcePools {
  private readonly pools = new Map<string, { version: string; sql: postgres.Sql }>();

  get(instanceId: string, version: string, params: SourceConnectionParams): postgres.Sql {
    const cached = this.pools.get(instanceId);
    if (cached?.version === version) return cached.sql;
    if (cached) void cached.sql.end({ timeout: 5 });
    const sql = connectPostgresSource(params, { max: 4 });
    this.pools.set(instanceId, { version, sql });
    return sql;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.sql.end({ timeout: 5 })));
    this.pools.clear();
  }
}
