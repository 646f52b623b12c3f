import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pause, startProbeServer, type ProbeServer } from '../../../test/harness/probe-servers.ts';
import { classifyGraphError, egressDeniedIn, GraphError, GraphGateway } from '../../src/graph/index.ts';
import { EgressPolicy } from '../../src/net/egress.ts';

/*
 * A Graph base URL that accepts and closes, or never answers: the gateway makes its bounded
 * attempts, honours the caller's signal, refuses by the egress policy without connecting, and
 * opens nothing once closed. (The token comes from a fake credential: no identity platform.)
 */

const credential = { getToken: async () => ({ token: 'token', expiresOnTimestamp: Date.now() + 3_600_000 }) };

const gatewayFor = (server: ProbeServer, egress?: EgressPolicy) =>
  GraphGateway.create(
    {
      connectionId: `deadline-${server.port}`,
      tenantId: 'tenant',
      clientId: 'client',
      clientSecret: 'secret',
      graphBaseUrl: `http://${server.host}:${server.port}/v1.0`,
      authorityHost: 'https://login.microsoftonline.com',
    },
    { credential, maxAttempts: 3, backoffBaseMs: 10, ...(egress ? { egress } : {}) },
  );

describe('Graph calls against servers that are not Graph', () => {
  let closing: ProbeServer;
  let silent: ProbeServer;

  beforeAll(async () => {
    closing = await startProbeServer('closing');
    silent = await startProbeServer('silent');
  });
  afterAll(async () => {
    await closing?.close();
    await silent?.close();
  });

  it('a closing server: three attempts, a protocol error', async () => {
    const gateway = gatewayFor(closing);
    const before = closing.connections;
    const err = await gateway.getSite('root').catch((e: unknown) => e);
    gateway.close();
    expect(err).toBeInstanceOf(GraphError);
    expect(closing.connections - before).toBe(3);
    expect(classifyGraphError(err, gateway.config)).toMatchObject({ errorClass: 'protocol' });
  });

  it('a silent server: the caller’s signal ends the call, classified as a timeout', async () => {
    const gateway = gatewayFor(silent);
    const started = Date.now();
    const err = await gateway.getSite('root', AbortSignal.timeout(1_000)).catch((e: unknown) => e);
    gateway.close();
    expect(Date.now() - started).toBeLessThan(3_000);
    expect(classifyGraphError(err, gateway.config)).toMatchObject({ errorClass: 'timeout' });
  });

  it('the egress policy refuses once, without connecting or retrying; a closed gateway opens nothing', async () => {
    const refusedGateway = gatewayFor(closing, new EgressPolicy());
    const before = closing.connections;
    const err = await refusedGateway.getSite('root').catch((e: unknown) => e);
    refusedGateway.close();
    expect(egressDeniedIn(err)).toBeDefined();
    expect(closing.connections).toBe(before);

    const closed = gatewayFor(closing);
    closed.close();
    const afterClose = await closed.getSite('root').catch((e: unknown) => e);
    await pause(200);
    expect(afterClose).toBeInstanceOf(GraphError);
    expect(closing.connections).toBe(before);
  });
});
