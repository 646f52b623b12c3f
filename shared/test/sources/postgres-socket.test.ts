import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pause, startProbeServer, type ProbeServer } from '../../../test/harness/probe-servers.ts';
import { EgressDeniedError, EgressPolicy } from '../../src/net/egress.ts';
import { withSourceSession } from '../../src/sources/call.ts';
import { SourceDeadlineError } from '../../src/sources/errors.ts';
import { postgresConnector } from '../../src/sources/postgres/index.ts';
import { classifyPostgresError as classifySourceError } from '../../src/sources/postgres/errors.ts';
import { openPostgresPool } from '../../src/sources/postgres/pool.ts';
import { SourceConnectError } from '../../src/sources/socket.ts';
import type { SourceConnectionParams } from '../../src/sources/types.ts';
import { createSourceDb, type SourceDb } from './source-db.ts';

/*
 * The sockets of source pools (postgres-socket.ts): postgres.js reconnected at once, forever,
 * to a server that accepts and closes connections during start-up. Each pool now spends a
 * bounded budget of attempts, and a refused attempt fails its query without leaving the pool
 * stuck: the next query gets an answer too.
 */

const paramsFor = (server: { host: string; port: number }, sslMode: SourceConnectionParams['sslMode'] = 'disable'): SourceConnectionParams => ({
  engine: 'postgres',
  host: server.host,
  port: server.port,
  databaseName: 'db',
  username: 'u',
  password: 'pw',
  sslMode,
});

describe('source pool sockets', () => {
  let closing: ProbeServer;
  let silent: ProbeServer;
  let real: SourceDb;

  beforeAll(async () => {
    closing = await startProbeServer('closing');
    silent = await startProbeServer('silent');
    real = await createSourceDb('sb_sockets');
  });
  afterAll(async () => {
    await closing?.close();
    await silent?.close();
    await real?.close();
  });

  it('a long-lived pool spends its burst on a closing server, fails the query, and answers the next query too', async () => {
    const before = closing.connections;
    const { sql } = openPostgresPool(paramsFor(closing), { maxConnections: 4 });
    try {
      const first = await sql`select 1`.catch((e: unknown) => e);
      expect(first).toBeInstanceOf(SourceConnectError);
      expect((first as SourceConnectError).code).toBe('CLOSED_WITHOUT_ANSWER');
      expect(closing.connections - before).toBe(6);
      // The bucket is empty: the next query fails at once, without connecting, instead of hanging.
      const second = await sql`select 1`.catch((e: unknown) => e);
      expect(second).toBeInstanceOf(SourceConnectError);
      await pause(500);
      expect(closing.connections - before).toBe(6);
      expect(classifySourceError(first, paramsFor(closing))).toMatchObject({ errorClass: 'protocol' });
    } finally {
      await sql.end({ timeout: 1 });
    }
  });

  it('a one-shot call gives up at its deadline on a silent server and tears the pool down', async () => {
    const started = Date.now();
    const err = await withSourceSession(postgresConnector, paramsFor(silent, 'prefer'), { deadlineMs: 1_500, connectTimeoutMs: 10_000 }, (s) =>
      s.checkConnection(),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SourceDeadlineError);
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(classifySourceError(err, paramsFor(silent))).toMatchObject({ errorClass: 'timeout' });
  });

  it('the egress policy refuses before connecting; an allowed pool works as before', async () => {
    const before = closing.connections;
    const refused = await withSourceSession(postgresConnector, paramsFor(closing), { deadlineMs: 5_000, egress: new EgressPolicy() }, (s) =>
      s.checkConnection(),
    ).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(EgressDeniedError);
    expect(closing.connections).toBe(before);
    const checked = await withSourceSession(postgresConnector, real.params, { deadlineMs: 5_000, egress: new EgressPolicy({ allowLocal: true }) }, (s) =>
      s.checkConnection(),
    );
    expect(checked.serverVersion).toMatch(/^PostgreSQL \d+/);
  });
});
