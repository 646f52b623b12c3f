import { isIP } from 'node:net';

/**
 * IP addresses and CIDR ranges as numbers, for the egress policy. Written out rather than
 * `net.BlockList` because the policy also needs containment of one range in another and
 * must treat an IPv4-mapped IPv6 address (`::ffff:127.0.0.1`) as the IPv4 address it is:
 * a socket connected to it reaches that IPv4 host.
 */

export interface IpAddress {
  family: 4 | 6;
  value: bigint;
}

export interface Cidr {
  family: 4 | 6;
  /** The network address (host bits cleared). */
  base: bigint;
  prefix: number;
  /** As written in the configuration, normalised (`127.0.0.0/8`). */
  text: string;
}

const bits = (family: 4 | 6) => (family === 4 ? 32 : 128);
const MAPPED_V4_PREFIX = 0xffffn << 32n;

function parseV4(text: string): bigint | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const p of parts) {
    if (!/^\d{1,3}$/.test(p) || Number(p) > 255) return undefined;
    value = (value << 8n) | BigInt(p);
  }
  return value;
}

function parseV6(text: string): bigint | undefined {
  let rest = text;
  // An embedded IPv4 tail (`::ffff:10.0.0.1`) stands for the last two groups.
  const lastColon = rest.lastIndexOf(':');
  if (rest.slice(lastColon + 1).includes('.')) {
    const v4 = parseV4(rest.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    rest = `${rest.slice(0, lastColon + 1)}${(v4 >> 16n).toString(16)}:${(v4 & 0xffffn).toString(16)}`;
  }
  const halves = rest.split('::');
  if (halves.length > 2) return undefined;
  const groups = (s: string) => (s === '' ? [] : s.split(':'));
  const head = groups(halves[0] ?? '');
  const back = halves.length === 2 ? groups(halves[1] ?? '') : [];
  const missing = 8 - head.length - back.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  let value = 0n;
  for (const g of [...head, ...Array<string>(halves.length === 2 ? missing : 0).fill('0'), ...back]) {
    if (!/^[0-9a-f]{1,4}$/i.test(g)) return undefined;
    value = (value << 16n) | BigInt(parseInt(g, 16));
  }
  return value;
}

/** Parses an address; IPv4-mapped IPv6 comes back as IPv4. Zone ids (`fe80::1%eth0`) are ignored. */
export function parseIp(text: string): IpAddress | undefined {
  const clean = text
    .trim()
    .replace(/^\[|\]$/g, '')
    .replace(/%.*$/, '');
  const kind = isIP(clean);
  if (kind === 4) {
    const value = parseV4(clean);
    return value === undefined ? undefined : { family: 4, value };
  }
  if (kind === 6) {
    const value = parseV6(clean);
    if (value === undefined) return undefined;
    if (value >> 32n === MAPPED_V4_PREFIX >> 32n) return { family: 4, value: value & 0xffffffffn };
    return { family: 6, value };
  }
  return undefined;
}

export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) return [24n, 16n, 8n, 0n].map((s) => String((ip.value >> s) & 0xffn)).join('.');
  const groups: string[] = [];
  for (let s = 112n; s >= 0n; s -= 16n) groups.push(((ip.value >> s) & 0xffffn).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}

export class InvalidCidrError extends Error {
  override name = 'InvalidCidrError';
}

/** `10.0.0.0/8`, `fd00::/8`, or a single address (a /32 or /128). */
export function parseCidr(text: string): Cidr {
  const [addr = '', prefixText, extra] = text.trim().split('/');
  const ip = parseIp(addr);
  if (!ip || extra !== undefined) throw new InvalidCidrError(`"${text}" is not an IP address or CIDR range (e.g. 10.0.0.0/8, fd00::/8, 192.0.2.7)`);
  // A mapped IPv6 range (::ffff:0:0/96 and longer) is the IPv4 range it maps.
  const written = addr.includes(':') && ip.family === 4 ? 128 : bits(ip.family);
  const prefix = prefixText === undefined ? written : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(written)) || prefix > written || (written === 128 && ip.family === 4 && prefix < 96)) {
    throw new InvalidCidrError(`"${text}" has an invalid prefix length (0-${written})`);
  }
  const effective = written === 128 && ip.family === 4 ? prefix - 96 : prefix;
  const width = BigInt(bits(ip.family) - effective);
  const base = (ip.value >> width) << width;
  return { family: ip.family, base, prefix: effective, text: `${formatIp({ family: ip.family, value: base })}/${effective}` };
}

export function cidrContains(range: Cidr, ip: IpAddress): boolean {
  if (range.family !== ip.family) return false;
  const width = BigInt(bits(range.family) - range.prefix);
  return ip.value >> width === range.base >> width;
}

/** Whether `inner` lies entirely inside `outer` (equal ranges included). */
export function cidrWithin(inner: Cidr, outer: Cidr): boolean {
  return inner.family === outer.family && inner.prefix >= outer.prefix && cidrContains(outer, { family: inner.family, value: inner.base });
}

/** Comma- or whitespace-separated ranges, as the environment gives them. */
export function parseCidrList(text: string | undefined): Cidr[] {
  return (text ?? '')
    .split(/[\s,]+/)
    .filter(Boolean)
    .map(parseCidr);
}
