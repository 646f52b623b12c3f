import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import type { Duplex } from 'node:stream';
import type { EgressPolicy, ResolvedAddress } from '../net/egress.ts';

/**
 * The HTTP(S) agents of one SharePoint connection, guarded: every new socket (Graph, the
 * identity platform through @azure/identity's pipeline, the authority diagnosis) first
 * passes the egress policy, and connects to the very addresses that were checked. A closed
 * agent (its gateway evicted, e.g. after a deadline) opens no socket any more, even for a
 * retry already scheduled inside a library.
 */

type CreateCallback = (err: Error | null, stream: Duplex) => void;

interface Guard {
  closed: boolean;
  readonly egress: EgressPolicy | undefined;
}

export class AgentClosedError extends Error {
  override name = 'AgentClosedError';
  readonly code = 'ABORT_ERR';
  constructor() {
    super('the call was given up (aborted): its connection is closed');
  }
}

/** A lookup answering with addresses resolved (and checked) already: no second DNS answer can differ. */
function fixedLookup(addresses: readonly ResolvedAddress[]): LookupFunction {
  return (_hostname, options, callback) => {
    const wanted = options.family === 4 || options.family === 6 ? addresses.filter((a) => a.family === options.family) : [...addresses];
    if (wanted.length === 0) {
      callback(Object.assign(new Error(`no IPv${options.family} address`), { code: 'ENOTFOUND' }), '', 0);
    } else if (options.all) callback(null, wanted);
    else callback(null, wanted[0]!.address, wanted[0]!.family);
  };
}

function guardedConnect(
  guard: Guard,
  options: http.ClientRequestArgs,
  callback: CreateCallback | undefined,
  connect: (o: object) => Duplex,
): Duplex | undefined {
  const fail = (error: Error) => process.nextTick(() => callback?.(error, undefined as unknown as Duplex));
  if (guard.closed) {
    fail(new AgentClosedError());
    return undefined;
  }
  if (!guard.egress) return connect(options);
  const host = (options.host ?? options.hostname ?? 'localhost').replace(/^\[|\]$/g, '');
  const port = Number(options.port ?? (options.protocol === 'http:' ? 80 : 443));
  guard.egress.resolve(host, port).then(
    (addresses) => {
      if (guard.closed) return fail(new AgentClosedError());
      try {
        // The name stays in `host` (TLS server name, certificate check, Host header); only the lookup is pinned.
        callback?.(null, connect({ ...options, lookup: fixedLookup(addresses) }));
      } catch (error) {
        fail(error as Error);
      }
    },
    (error: Error) => fail(error),
  );
  return undefined;
}

export class GuardedHttpAgent extends http.Agent implements Guard {
  closed = false;
  constructor(
    options: http.AgentOptions,
    readonly egress: EgressPolicy | undefined,
  ) {
    super(options);
  }

  override createConnection(options: http.ClientRequestArgs, callback?: CreateCallback): Duplex | null | undefined {
    return guardedConnect(this, options, callback, (o) => super.createConnection(o as http.ClientRequestArgs) as Duplex);
  }

  override destroy(): void {
    this.closed = true;
    super.destroy();
  }
}

export class GuardedHttpsAgent extends https.Agent implements Guard {
  closed = false;
  constructor(
    options: https.AgentOptions,
    readonly egress: EgressPolicy | undefined,
  ) {
    super(options);
  }

  override createConnection(options: https.RequestOptions, callback?: CreateCallback): Duplex | null | undefined {
    return guardedConnect(this, options, callback, (o) => super.createConnection(o as https.RequestOptions) as Duplex);
  }

  override destroy(): void {
    this.closed = true;
    super.destroy();
  }
}
