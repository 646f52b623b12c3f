import { createServer, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/**
 * TCP servers that are not what a connection expects, counting every connection they accept:
 * - `closing`: accepts and closes at once (an HTTP port, a broker, a load balancer without a
 *   backend). postgres.js used to reconnect to such a server in a tight loop, forever.
 * - `silent`: accepts and never answers (a firewall that swallows packets after the handshake,
 *   a hung process). Without an overall deadline a call waits forever.
 */
export interface ProbeServer {
  host: string;
  port: number;
  /** Connections accepted so far. */
  readonly connections: number;
  close(): Promise<void>;
}

export async function startProbeServer(kind: 'closing' | 'silent', host = '127.0.0.1'): Promise<ProbeServer> {
  let connections = 0;
  const open = new Set<Socket>();
  const server: Server = createServer((socket) => {
    connections++;
    socket.on('error', () => {});
    open.add(socket);
    socket.on('close', () => open.delete(socket));
    if (kind === 'closing') socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  return {
    host,
    port: (server.address() as AddressInfo).port,
    get connections() {
      return connections;
    },
    async close() {
      for (const s of open) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Resolves after `ms`. */
export const pause = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
