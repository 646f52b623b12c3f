import net from 'node:net';
import type { EgressPolicy } from '../net/egress.ts';

/**
 * The sockets of a source connection pool, made by us instead of the driver (postgres.js'
 * `socket` option; mysql2 takes the same kind of factory as `stream`), for three reasons:
 *
 * - **Bounded attempts.** postgres.js reconnects at once, without back-off, whenever a server
 *   closes a connection during start-up without an error message, and keeps doing so while a
 *   query waits: a port that accepts and closes (an HTTP server, a broker, a load balancer
 *   without a backend) received about 500 connections a second, forever. Every socket here
 *   spends a token of a per-pool bucket; when the bucket is empty the attempt fails at once
 *   with a `SourceConnectError`, which fails the waiting query and ends the loop.
 * - **Egress policy.** The host is resolved and every address checked (shared/src/net/egress.ts)
 *   before anything connects, and the socket connects to a checked address (no DNS rebinding
 *   between the check and the connect).
 * - **Closing.** A pool whose caller gave up (a deadline passed) makes no new socket, even if
 *   postgres.js asks for one.
 *
 * A refused attempt is handed to postgres.js as a socket that fails with the reason: that is
 * how the driver's own connection code ends an attempt cleanly (a thrown error would leave
 * the pool's connection stuck in its "connecting" state, and every later query would hang).
 */

export interface AttemptBudget {
  /** Attempts that may be made at once. */
  burst: number;
  /** Attempts regained per second; 0 for a one-shot pool (a connection test, an introspection). */
  refillPerSecond: number;
}

/** A connection test or an introspection: three tries, then the answer. */
export const ONE_SHOT_ATTEMPTS: AttemptBudget = { burst: 3, refillPerSecond: 0 };
/** A long-lived pool of `max` connections: its own connections at once, then one every five seconds. */
export const poolAttempts = (max: number): AttemptBudget => ({ burst: max + 2, refillPerSecond: 0.2 });

export type SourceConnectErrorCode = 'CLOSED_WITHOUT_ANSWER' | 'ATTEMPTS_EXHAUSTED' | 'POOL_CLOSED';

export class SourceConnectError extends Error {
  override name = 'SourceConnectError';
  constructor(
    message: string,
    readonly code: SourceConnectErrorCode,
  ) {
    super(message);
  }
}

export interface SourceSocketOptions {
  egress?: EgressPolicy | undefined;
  budget: AttemptBudget;
  connectTimeoutMs: number;
  /** The wire protocol's name, for messages ("PostgreSQL", "MySQL"). */
  protocol?: string;
}

/**
 * A socket that fails with `error` once the driver listens to it. The driver attaches its
 * listeners and writes its start-up message in the microtasks after the factory returns, so
 * the failure comes in the next turn of the event loop (setImmediate), and writes are dropped
 * until then: a write to a socket that never connected would fail first, with a meaningless
 * "socket is closed", and hide the reason.
 */
function failedSocket(error: unknown): net.Socket {
  const socket = new net.Socket();
  socket.write = (() => true) as typeof socket.write;
  setImmediate(() => socket.destroy(error instanceof Error ? error : new Error(String(error))));
  return socket;
}

export class SourceSocketFactory {
  /** Sockets opened so far (for tests and logs). */
  attempts = 0;
  private tokens: number;
  private refilledAt = performance.now();
  private closed = false;
  /** Attempts in a row whose socket the server closed before sending a byte. */
  private silentCloses = 0;
  private readonly connecting = new Set<net.Socket>();

  constructor(
    readonly host: string,
    readonly port: number,
    private readonly options: SourceSocketOptions,
  ) {
    this.tokens = options.budget.burst;
  }

  /** The driver's socket factory (postgres.js' `socket` option). */
  readonly create = async (): Promise<net.Socket> => {
    if (this.closed) return failedSocket(new SourceConnectError(`the connection to ${this.target} was given up`, 'POOL_CLOSED'));
    if (!this.take()) return failedSocket(this.exhausted());
    this.attempts++;
    try {
      const addresses = this.options.egress ? await this.options.egress.resolve(this.host, this.port) : [{ address: this.host }];
      if (this.closed) return failedSocket(new SourceConnectError(`the connection to ${this.target} was given up`, 'POOL_CLOSED'));
      const socket = await this.connectAny(addresses.map((a) => a.address));
      this.watch(socket);
      // postgres.js names the TLS server (SNI, certificate check) after `socket.host`: the configured name, not the address.
      Object.assign(socket, { host: this.host, port: this.port });
      return socket;
    } catch (error) {
      return failedSocket(error);
    }
  };

  /** No new socket from now on; attempts in progress are abandoned. */
  close(): void {
    this.closed = true;
    for (const s of this.connecting) s.destroy();
    this.connecting.clear();
  }

  private get target(): string {
    return `${this.host}:${this.port}`;
  }

  private get protocol(): string {
    return this.options.protocol ?? 'PostgreSQL';
  }

  private take(): boolean {
    const now = performance.now();
    const { burst, refillPerSecond } = this.options.budget;
    this.tokens = Math.min(burst, this.tokens + ((now - this.refilledAt) / 1000) * refillPerSecond);
    this.refilledAt = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }

  private exhausted(): SourceConnectError {
    if (this.silentCloses > 0) {
      return new SourceConnectError(
        `${this.target} accepted the connection and closed it without answering (${this.silentCloses} attempts in a row); is it a ${this.protocol} server?`,
        'CLOSED_WITHOUT_ANSWER',
      );
    }
    // Only connections closed without an error come back for another attempt: the server keeps ending the handshake.
    return new SourceConnectError(
      `${this.target} keeps closing the connection during the ${this.protocol} handshake (${this.attempts} attempts); is it a ${this.protocol} server?`,
      'ATTEMPTS_EXHAUSTED',
    );
  }

  /** Tries each address in turn within one connect timeout (a name may have an IPv6 address nobody listens on). */
  private async connectAny(addresses: string[]): Promise<net.Socket> {
    const deadline = performance.now() + this.options.connectTimeoutMs;
    let last: unknown;
    for (const address of addresses) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) break;
      try {
        return await this.connectOne(address, remaining);
      } catch (error) {
        last = error;
        if ((error as { code?: string }).code === 'ETIMEDOUT') break;
      }
    }
    throw last ?? Object.assign(new Error(`connecting to ${this.target} timed out`), { code: 'ETIMEDOUT' });
  }

  private connectOne(address: string, timeoutMs: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: address, port: this.port });
      this.connecting.add(socket);
      const done = (error?: Error) => {
        clearTimeout(timer);
        this.connecting.delete(socket);
        socket.off('connect', onConnect);
        socket.off('error', onError);
        socket.off('close', onClose);
        if (error) {
          socket.destroy();
          reject(error);
        } else resolve(socket);
      };
      const onConnect = () => done();
      const onError = (error: Error) => done(error);
      const onClose = () => done(new SourceConnectError(`the connection to ${this.target} was given up`, 'POOL_CLOSED'));
      const timer = setTimeout(
        () => done(Object.assign(new Error(`connecting to ${this.target} timed out after ${Math.round(timeoutMs)} ms`), { code: 'ETIMEDOUT' })),
        timeoutMs,
      );
      socket.once('connect', onConnect);
      socket.once('error', onError);
      socket.once('close', onClose);
    });
  }

  private watch(socket: net.Socket): void {
    socket.once('close', () => {
      // Bytes from the server mean it speaks (or at least answers); a close without any is the flood pattern.
      if (socket.bytesRead === 0) this.silentCloses++;
      else this.silentCloses = 0;
    });
  }
}
