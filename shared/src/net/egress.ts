import { lookup } from 'node:dns/promises';
import type { LookupFunction } from 'node:net';
import { cidrContains, cidrWithin, formatIp, parseCidr, parseIp, type Cidr, type IpAddress } from './cidr.ts';

/**
 * The egress policy: which addresses SyncBridge may open connections to on behalf of what
 * an API user configured (source database instances, SharePoint connections' Graph and
 * identity URLs). Without it the API is a port scanner and a proxy into the network it runs
 * in: `POST …/test` on an instance at 169.254.169.254 or at the meta-store would report
 * what answers there.
 *
 * Decided per resolved address, never per name: a name is resolved, every address it has
 * must be allowed, and the connection is made to an address that was checked (see
 * `pinnedLookup`), so a name that resolves to a public address when checked and to
 * 127.0.0.1 when connecting (DNS rebinding) cannot slip through.
 *
 * Order of the rules, first match wins:
 * 1. `SYNCBRIDGE_EGRESS_DENY` ranges: refused, always.
 * 2. `SYNCBRIDGE_EGRESS_ALLOW`, when set: an address outside every range is refused.
 * 3. Built-in refusals (loopback, link-local incl. cloud metadata, unspecified, multicast,
 *    reserved; and SyncBridge's own servers: the meta-store and Temporal), unless local mode
 *    is on or an allow entry lies entirely inside the refused range (127.0.0.1/32 lifts the
 *    loopback refusal for that address; 0.0.0.0/0 lifts nothing).
 * 4. Everything else is allowed (private ranges included: that is where databases live).
 */

export type EgressField = 'host' | 'graphBaseUrl' | 'authorityHost';

export interface ProtectedEndpoint {
  host: string;
  port: number;
  /** What it is, for the message: "the SyncBridge meta-store". */
  name: string;
}

export interface EgressPolicyOptions {
  /** Local mode (a developer's machine, the tests, `npm start`): no built-in refusal applies. */
  allowLocal?: boolean;
  /** When non-empty, only these ranges may be reached. */
  allow?: readonly Cidr[];
  /** Never reached, whatever else is set. */
  deny?: readonly Cidr[];
  /** SyncBridge's own servers, refused (at their port) outside local mode. */
  protectedEndpoints?: readonly ProtectedEndpoint[];
  /** Every address of a name (DNS); replaceable in tests. */
  resolveName?: (host: string) => Promise<string[]>;
}

export interface ResolvedAddress {
  address: string;
  family: 4 | 6;
}

const BUILT_IN: ReadonlyArray<{ range: Cidr; what: string }> = [
  ['0.0.0.0/8', 'an unspecified ("this host") address'],
  ['127.0.0.0/8', 'a loopback address'],
  ['169.254.0.0/16', 'a link-local address (the range of cloud metadata services such as 169.254.169.254)'],
  ['224.0.0.0/4', 'a multicast address'],
  ['240.0.0.0/4', 'a reserved or broadcast address'],
  ['::/128', 'the unspecified address'],
  ['::1/128', 'a loopback address'],
  ['::/96', 'an IPv4-compatible IPv6 address (deprecated; write the IPv4 address)'],
  ['fe80::/10', 'a link-local address'],
  ['ff00::/8', 'a multicast address'],
].map(([range, what]) => ({ range: parseCidr(range as string), what: what as string }));

/**
 * IPv6 ranges whose addresses carry an IPv4 address that a translator on the path (NAT64, a
 * 6to4 or Teredo relay, SIIT) connects to: `64:ff9b::a9fe:a9fe` reaches 169.254.169.254 where
 * NAT64 runs. The policy judges such an address by the IPv4 addresses it carries too.
 */
const TRANSLATED: ReadonlyArray<{ range: Cidr; name: string; v4: (value: bigint) => bigint[] }> = [
  { range: parseCidr('64:ff9b::/96'), name: 'NAT64', v4: (v) => [v & 0xffffffffn] },
  { range: parseCidr('64:ff9b:1::/48'), name: 'local NAT64', v4: (v) => [v & 0xffffffffn] },
  { range: parseCidr('::ffff:0:0:0/96'), name: 'IPv4-translated', v4: (v) => [v & 0xffffffffn] },
  { range: parseCidr('2002::/16'), name: '6to4', v4: (v) => [(v >> 80n) & 0xffffffffn] },
  // Teredo: the server's address in bits 32-63, the client's obfuscated (inverted) in the last 32.
  { range: parseCidr('2001::/32'), name: 'Teredo', v4: (v) => [(v >> 64n) & 0xffffffffn, ~v & 0xffffffffn] },
];

const HOW_TO_ALLOW_LOCAL = 'SYNCBRIDGE_EGRESS_ALLOW_LOCAL=true (development machines only)';

/** A connection the policy refuses. The message says why and which setting allows it; `field` names the request field when known. */
export class EgressDeniedError extends Error {
  override name = 'EgressDeniedError';
  readonly code = 'EGRESS_DENIED';
  constructor(
    message: string,
    readonly host: string,
    readonly port: number,
    /** The refused address (for logs: for a name, the API message does not show where it resolves). */
    readonly address: string,
    readonly field?: EgressField,
  ) {
    super(message);
  }

  /** The same refusal, naming the request field it came from. */
  forField(field: EgressField): EgressDeniedError {
    return new EgressDeniedError(this.message, this.host, this.port, this.address, field);
  }
}

const defaultResolveName = async (host: string) => (await lookup(host, { all: true, verbatim: true })).map((a) => a.address);

/** How long the addresses of the protected endpoints (the meta-store's host name) are trusted. */
const PROTECTED_TTL_MS = 60_000;

export class EgressPolicy {
  readonly allowLocal: boolean;
  private readonly allow: readonly Cidr[];
  private readonly deny: readonly Cidr[];
  private readonly protectedEndpoints: readonly ProtectedEndpoint[];
  private readonly resolveName: (host: string) => Promise<string[]>;
  private protectedCache: { at: number; entries: Array<{ ip: IpAddress; port: number; name: string }> } | undefined;

  constructor(options: EgressPolicyOptions = {}) {
    this.allowLocal = options.allowLocal === true;
    this.allow = options.allow ?? [];
    this.deny = options.deny ?? [];
    this.protectedEndpoints = options.protectedEndpoints ?? [];
    this.resolveName = options.resolveName ?? defaultResolveName;
  }

  /** No refusal at all: for library callers and tools that connect where their own operator says. */
  static unrestricted(): EgressPolicy {
    return new EgressPolicy({ allowLocal: true });
  }

  /**
   * Every address `host` resolves to, each checked; throws `EgressDeniedError` if any is
   * refused (a name with one internal address among public ones is refused), and the DNS
   * error (code ENOTFOUND, EAI_AGAIN) when the name does not resolve.
   */
  async resolve(host: string, port: number): Promise<ResolvedAddress[]> {
    const literal = parseIp(host);
    const addresses = literal ? [host.replace(/^\[|\]$/g, '')] : await this.resolveName(host);
    if (addresses.length === 0) throw Object.assign(new Error(`${host} has no address`), { code: 'ENOTFOUND' });
    const out: ResolvedAddress[] = [];
    for (const address of addresses) {
      const ip = parseIp(address);
      if (!ip) throw Object.assign(new Error(`${host} resolved to "${address}", which is not an IP address`), { code: 'ENOTFOUND' });
      const refusal = await this.refusal(ip, port);
      if (refusal) {
        const subject = literal ? `${host} is` : `${host} resolves to`;
        throw new EgressDeniedError(
          `${subject} ${refusal.what}, which this deployment's egress policy does not allow connections to; ${refusal.how}`,
          host,
          port,
          formatIp(ip),
        );
      }
      out.push({ address: ip.family === 4 ? formatIp(ip) : address, family: ip.family });
    }
    return out;
  }

  /** Throws `EgressDeniedError` naming `field` when `host:port` may not be reached. */
  async check(host: string, port: number, field?: EgressField): Promise<ResolvedAddress[]> {
    try {
      return await this.resolve(host, port);
    } catch (err) {
      if (err instanceof EgressDeniedError && field) throw err.forField(field);
      throw err;
    }
  }

  private async refusal(ip: IpAddress, port: number): Promise<{ what: string; how: string } | undefined> {
    const own = await this.ownRefusal(ip, port);
    if (own || ip.family === 4) return own;
    for (const t of TRANSLATED) {
      if (!cidrContains(t.range, ip)) continue;
      // An allow entry inside the translation range is the operator's word for those addresses; the deny list still wins.
      const allowed = this.allow.some((a) => cidrContains(a, ip) && cidrWithin(a, t.range));
      for (const value of t.v4(ip.value)) {
        const v4: IpAddress = { family: 4, value };
        const denied = this.deny.some((r) => cidrContains(r, v4));
        if (allowed && !denied) continue;
        const inner = await this.ownRefusal(v4, port, { ignoreAllowList: true });
        if (inner) {
          return {
            what: `a ${t.name} address that reaches ${formatIp(v4)}, ${inner.what}`,
            how: denied ? inner.how : `to allow it, add it to SYNCBRIDGE_EGRESS_ALLOW (e.g. ${formatIp(ip)}/128), or set ${HOW_TO_ALLOW_LOCAL}`,
          };
        }
      }
    }
    return undefined;
  }

  private async ownRefusal(ip: IpAddress, port: number, opts: { ignoreAllowList?: boolean } = {}): Promise<{ what: string; how: string } | undefined> {
    const denied = this.deny.find((r) => cidrContains(r, ip));
    if (denied) return { what: `in the denied range ${denied.text}`, how: `remove ${denied.text} from SYNCBRIDGE_EGRESS_DENY to allow it` };
    const allowedBy = this.allow.filter((r) => cidrContains(r, ip));
    if (this.allow.length > 0 && allowedBy.length === 0 && !opts.ignoreAllowList) {
      return { what: 'outside the allowed ranges', how: 'add a range that contains it to SYNCBRIDGE_EGRESS_ALLOW to allow it' };
    }
    if (this.allowLocal) return undefined;
    const builtIn = BUILT_IN.find((b) => cidrContains(b.range, ip));
    if (builtIn && !allowedBy.some((a) => cidrWithin(a, builtIn.range))) {
      const single = `${formatIp(ip)}/${ip.family === 4 ? 32 : 128}`;
      return { what: builtIn.what, how: `to allow it, add it to SYNCBRIDGE_EGRESS_ALLOW (e.g. ${single}), or set ${HOW_TO_ALLOW_LOCAL}` };
    }
    for (const own of await this.protectedAddresses()) {
      if (own.port === port && own.ip.family === ip.family && own.ip.value === ip.value) {
        const single = { family: ip.family, base: ip.value, prefix: ip.family === 4 ? 32 : 128, text: '' } satisfies Cidr;
        if (allowedBy.some((a) => cidrWithin(a, single))) return undefined;
        return {
          what: `${own.name}'s own server`,
          how: `SyncBridge does not connect to it on a user's behalf; to allow it anyway, add ${formatIp(ip)}/${ip.family === 4 ? 32 : 128} to SYNCBRIDGE_EGRESS_ALLOW, or set ${HOW_TO_ALLOW_LOCAL}`,
        };
      }
    }
    return undefined;
  }

  private async protectedAddresses(): Promise<Array<{ ip: IpAddress; port: number; name: string }>> {
    if (this.protectedEndpoints.length === 0) return [];
    if (this.protectedCache && Date.now() - this.protectedCache.at < PROTECTED_TTL_MS) return this.protectedCache.entries;
    const entries: Array<{ ip: IpAddress; port: number; name: string }> = [];
    for (const e of this.protectedEndpoints) {
      const literal = parseIp(e.host);
      // A meta-store name that does not resolve here cannot be reached from here either.
      const addresses = literal ? [e.host] : await this.resolveName(e.host).catch(() => [] as string[]);
      for (const a of addresses) {
        const ip = parseIp(a);
        if (ip) entries.push({ ip, port: e.port, name: e.name });
      }
    }
    this.protectedCache = { at: Date.now(), entries };
    return entries;
  }
}

/**
 * A `lookup` for `net.connect`/`tls.connect` that resolves through the policy and hands
 * the socket only checked addresses: the address connected to is the address checked.
 * (An IP literal host never reaches a lookup; callers check it with `policy.resolve`.)
 */
export function pinnedLookup(policy: EgressPolicy, port: number): LookupFunction {
  return (hostname, options, callback) => {
    policy.resolve(hostname, port).then(
      (addresses) => {
        const family = options.family === 4 || options.family === 6 ? options.family : undefined;
        const wanted = family ? addresses.filter((a) => a.family === family) : addresses;
        if (wanted.length === 0) {
          callback(Object.assign(new Error(`${hostname} has no IPv${family} address`), { code: 'ENOTFOUND' }), '', 0);
        } else if (options.all) {
          callback(null, wanted);
        } else {
          callback(null, wanted[0]!.address, wanted[0]!.family);
        }
      },
      (err: NodeJS.ErrnoException) => callback(err, '', 0),
    );
  };
}

/** `host:port` of a PostgreSQL URL (the meta-store's DATABASE_URL); undefined for a Unix socket or an unparsable URL. */
export function endpointOfDatabaseUrl(url: string): { host: string; port: number } | undefined {
  try {
    const u = new URL(url);
    const hostParam = u.searchParams.get('host');
    if (hostParam?.startsWith('/') || !u.hostname) return undefined;
    return { host: u.hostname.replace(/^\[|\]$/g, ''), port: Number(u.port || 5432) };
  } catch {
    return undefined;
  }
}

/** `host:port` of a Temporal frontend address (`127.0.0.1:7233`, `[::1]:7233`). */
export function endpointOfAddress(address: string, defaultPort: number): { host: string; port: number } | undefined {
  const m = /^\[([^\]]+)\](?::(\d+))?$/.exec(address) ?? /^([^:]+)(?::(\d+))?$/.exec(address);
  if (!m?.[1]) return undefined;
  return { host: m[1], port: m[2] ? Number(m[2]) : defaultPort };
}

/** The slice of the environment (shared/src/config/env.ts) the policy is built from. */
export interface EgressConfig {
  SYNCBRIDGE_EGRESS_ALLOW_LOCAL: 'true' | 'false';
  SYNCBRIDGE_EGRESS_ALLOW: Cidr[];
  SYNCBRIDGE_EGRESS_DENY: Cidr[];
  DATABASE_URL: string;
  TEMPORAL_ADDRESS: string;
}

/** The policy of a service (API or worker) from its configuration. */
export function egressPolicyFromConfig(config: EgressConfig): EgressPolicy {
  const own: ProtectedEndpoint[] = [];
  const metaStore = endpointOfDatabaseUrl(config.DATABASE_URL);
  if (metaStore) own.push({ ...metaStore, name: 'the SyncBridge meta-store' });
  const temporal = endpointOfAddress(config.TEMPORAL_ADDRESS, 7233);
  if (temporal) own.push({ ...temporal, name: 'the Temporal frontend' });
  return new EgressPolicy({
    allowLocal: config.SYNCBRIDGE_EGRESS_ALLOW_LOCAL === 'true',
    allow: config.SYNCBRIDGE_EGRESS_ALLOW,
    deny: config.SYNCBRIDGE_EGRESS_DENY,
    protectedEndpoints: own,
  });
}

export { parseCidr, parseCidrList, InvalidCidrError, type Cidr } from './cidr.ts';
export { CONNECTION_ERROR_CLASSES, classifyNetworkError, errorCodeOf, type ConnectionErrorClass, type ClassifiedError } from './error-class.ts';
