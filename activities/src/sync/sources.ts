import type { EgressPolicy } from '@syncbridge/shared/net';
import { sourceConnectorFor, type SourceConnectionParams, type SourceSession } from '@syncbridge/shared/sources';

/**
 * One source session (a small connection pool) per source instance, owned by the worker's
 * activity dependencies: batches reuse connections instead of opening one per activity, a
 * changed instance row (credentials, host, engine) gets a new session, and the worker closes
 * them all when it stops. Activities reach sources only through these sessions, whatever the engine.
 *
 * Every connection passes the egress policy, and a session makes a bounded number of connection
 * attempts (its own connections at once, then one every five seconds: see
 * shared/src/sources/socket.ts), so a source that accepts and drops connections fails the batch
 * instead of receiving a flood of reconnections.
 */
export class SourceSessions {
  private readonly sessions = new Map<string, { version: string; session: SourceSession }>();

  constructor(private readonly egress?: EgressPolicy) {}

  /** The instance's session; `version` changes whenever the instance row does. Throws UnsupportedEngineError for an engine without a connector. */
  get(instanceId: string, version: string, params: SourceConnectionParams): SourceSession {
    const key = `${version}|${params.engine}`;
    const cached = this.sessions.get(instanceId);
    if (cached?.version === key) return cached.session;
    if (cached) void cached.session.close();
    const session = sourceConnectorFor(params.engine).openSession(params, { maxConnections: 4, egress: this.egress });
    this.sessions.set(instanceId, { version: key, session });
    return session;
  }

  async close(): Promise<void> {
    await Promise.all([...this.sessions.values()].map((s) => s.session.close()));
    this.sessions.clear();
  }
}
