import net from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkSourceConnection } from '../../../src/sources/call.ts';
import { mysqlConnector } from '../../../src/sources/mysql/index.ts';
import { mariadbParams } from '../contract/mariadb.ts';

/* Connection failures as classes and safe messages, never the server's text. */

const params = (over: Partial<ReturnType<typeof mariadbParams>> = {}) => ({ ...mariadbParams('mysql'), ...over });

describe('MariaDB classifyError', () => {
  it('reports the server version', async () => {
    const result = await checkSourceConnection(mysqlConnector, params());
    expect(result).toMatchObject({ ok: true, serverVersion: expect.stringMatching(/^MariaDB 10\.\d+\.\d+$/) });
  });

  it('classifies a wrong password', async () => {
    const result = await checkSourceConnection(mysqlConnector, params({ username: 'sb_nobody', password: 'wrong-password' }));
    expect(result).toMatchObject({
      ok: false,
      errorClass: 'authentication_failed',
      error: 'authentication failed for user "sb_nobody" on 127.0.0.1:3306',
      errorCode: 'ER_ACCESS_DENIED_ERROR',
    });
    expect(result.ok === false && result.detail).not.toContain('wrong-password');
  });

  it('classifies an unknown database', async () => {
    const result = await checkSourceConnection(mysqlConnector, params({ databaseName: 'sb_no_such_database' }));
    expect(result).toMatchObject({ ok: false, errorClass: 'database_not_found', error: 'database "sb_no_such_database" does not exist on 127.0.0.1:3306' });
  });

  it('classifies a refused port', async () => {
    const server = net.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const result = await checkSourceConnection(mysqlConnector, params({ port }));
    expect(result).toMatchObject({ ok: false, errorClass: 'unreachable', error: `127.0.0.1:${port} refused the connection` });
  });

  it('bounds the attempts against a port that accepts and closes', async () => {
    let accepted = 0;
    const server = net.createServer((socket) => {
      accepted++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as net.AddressInfo).port;
    try {
      const result = await checkSourceConnection(mysqlConnector, params({ port }), { deadlineMs: 3000 });
      expect(result.ok).toBe(false);
      expect(result.ok === false && ['protocol', 'timeout']).toContain(result.ok === false ? result.errorClass : '');
      expect(accepted).toBeLessThanOrEqual(3);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('refuses TLS when the server offers none (require) and falls back to plain (prefer)', async () => {
    const required = await checkSourceConnection(mysqlConnector, params({ sslMode: 'require' }));
    expect(required).toMatchObject({ ok: false, errorClass: 'tls' });
    const preferred = await checkSourceConnection(mysqlConnector, params({ sslMode: 'prefer' }));
    expect(preferred).toMatchObject({ ok: true });
  });
});
