import postgres from 'postgres';
import type { ConnectionCheck, SourceAdapter, SourceConnectionParams } from './types.ts';

const sslOption = (mode: SourceConnectionParams['sslMode']) =>
  mode === 'disable' ? false : mode === 'verify-full' ? ('verify-full' as const) : mode === 'require' ? ('require' as const) : ('prefer' as const);

export function connectPostgresSource(params: SourceConnectionParams, opts: { max?: number; connectTimeoutSeconds?: number } = {}) {
  return postgres({
    host: params.host,
    port: params.port,
    database: params.databaseName,
    username: params.username,
    password: params.password ?? undefined,
    ssl: sslOption(params.sslMode),
    max: opts.max ?? 4,
    connect_timeout: opts.connectTimeoutSeconds ?? 10,
    idle_timeout: 30,
    onnotice: () => {},
    connection: { application_name: 'syncbridge-source' },
  });
}

export const postgresSourceAdapter: SourceAdapter = {
  engine: 'postgres',
  async checkConnection(params, timeoutMs = 5000): Promise<ConnectionCheck> {
    const started = performance.now();
    const sql = connectPostgresSource(params, { max: 1, connectTimeoutSeconds: Math.ceil(timeoutMs / 1000) });
    try {
      const [row] = await sql<{ version: string }[]>`select current_setting('server_version') as version`;
      return { ok: true, latencyMs: Math.round(performance.now() - started), serverVersion: `PostgreSQL ${row?.version ?? 'unknown'}` };
    } catch (err) {
      const e = err as { message?: string; code?: string };
      // The driver's message names host and user but never the password.
      return { ok: false, latencyMs: Math.round(performance.now() - started), error: e.message ?? String(err), ...(e.code ? { errorCode: e.code } : {}) };
    } finally {
      await sql.end({ timeout: 1 });
    }
  },
};
