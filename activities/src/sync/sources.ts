import type postgres from 'postgres';
import type { EgressPolicy } from '@syncbridge/shared/net';
import { connectPostgresSource, type SourceConnectionParams } from '@syncbridge/shared/sources';

/**
 * One small connection pool per source instance, owned by the worker's activity dependencies:
 * batches reuse connections instead of opening one per activity, a changed instance row
 * (credentials, host) gets a new pool, and the worker closes them all when it stops.
 *
 * Every connection passes the egress policy, and a pool makes a bounded number of connection
 * attempts (its own connections at once, then one every five seconds: see
 * shared/src/sources/postgres-socket.ts), so a source that accepts and drops connections fails
 * the batch instead of receiving a flood of reconnections.
 */
export class SourcePools {
  private readonly pools = new Map<string, { version: string; sql: postgres.Sql }>();

  constructor(private readonly egress?: EgressPolicy) {}

  get(instanceId: string, version: string, params: SourceConnectionParams): postgres.Sql {
    const cached = this.pools.get(instanceId);
    if (cached?.version === version) return cached.sql;
    if (cached) void cached.sql.end({ timeout: 5 });
    const sql = connectPostgresSource(params, { max: 4, egress: this.egress });
    this.pools.set(instanceId, { version, sql });
    return sql;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((p) => p.sql.end({ timeout: 5 })));
    this.pools.clear();
  }
}
