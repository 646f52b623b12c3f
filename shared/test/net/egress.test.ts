import { describe, expect, it } from 'vitest';
import { cidrContains, cidrWithin, parseCidr, parseIp } from '../../src/net/cidr.ts';
import { EgressDeniedError, EgressPolicy, pinnedLookup } from '../../src/net/egress.ts';

const ip = (text: string) => parseIp(text)!;

describe('CIDR ranges', () => {
  it('parses IPv4, IPv6, single addresses and IPv4-mapped IPv6 (as the IPv4 address it reaches)', () => {
    expect(parseCidr('10.1.2.3/8').text).toBe('10.0.0.0/8');
    expect(parseCidr('192.0.2.7').prefix).toBe(32);
    expect(parseCidr('fd00::/8')).toMatchObject({ family: 6, prefix: 8 });
    expect(parseCidr('::ffff:127.0.0.0/104')).toMatchObject({ family: 4, prefix: 8, text: '127.0.0.0/8' });
    expect(ip('::ffff:127.0.0.1')).toEqual(ip('127.0.0.1'));
    expect(ip('::ffff:7f00:1')).toEqual(ip('127.0.0.1'));
    expect(ip('[::1]')).toEqual({ family: 6, value: 1n });
    expect(() => parseCidr('10.0.0.0/33')).toThrow(/prefix length/);
    expect(() => parseCidr('db.internal')).toThrow(/not an IP address/);
  });

  it('contains addresses and ranges', () => {
    expect(cidrContains(parseCidr('169.254.0.0/16'), ip('169.254.169.254'))).toBe(true);
    expect(cidrContains(parseCidr('fe80::/10'), ip('fe80::1%eth0'))).toBe(true);
    expect(cidrContains(parseCidr('10.0.0.0/8'), ip('11.0.0.1'))).toBe(false);
    expect(cidrWithin(parseCidr('127.0.0.1/32'), parseCidr('127.0.0.0/8'))).toBe(true);
    expect(cidrWithin(parseCidr('0.0.0.0/0'), parseCidr('127.0.0.0/8'))).toBe(false);
  });
});

describe('the egress policy', () => {
  const dns = (table: Record<string, string[]>) => async (host: string) => table[host] ?? [];

  it('refuses loopback, link-local, unspecified and the protected endpoint by default; allows private and public ranges', async () => {
    const policy = new EgressPolicy({ protectedEndpoints: [{ host: '10.0.0.5', port: 5432, name: 'the SyncBridge meta-store' }] });
    for (const host of ['127.0.0.1', '::1', '169.254.169.254', 'fe80::1', '0.0.0.0', '::', '224.0.0.1', '::ffff:127.0.0.1']) {
      await expect(policy.resolve(host, 5432), host).rejects.toBeInstanceOf(EgressDeniedError);
    }
    await expect(policy.resolve('10.0.0.5', 5432)).rejects.toThrow(/meta-store's own server/);
    // The meta-store's host on another port is another service.
    await expect(policy.resolve('10.0.0.5', 6432)).resolves.toEqual([{ address: '10.0.0.5', family: 4 }]);
    await expect(policy.resolve('192.168.1.10', 5432)).resolves.toHaveLength(1);
  });

  it('refuses a name if any of its addresses is refused (a public name with an internal address among its answers)', async () => {
    const policy = new EgressPolicy({ resolveName: dns({ 'db.example.com': ['203.0.113.5', '127.0.0.1'], 'ok.example.com': ['203.0.113.5', '2001:db8::5'] }) });
    await expect(policy.resolve('db.example.com', 5432)).rejects.toThrow(/db\.example\.com resolves to a loopback address/);
    await expect(policy.resolve('ok.example.com', 5432)).resolves.toEqual([
      { address: '203.0.113.5', family: 4 },
      { address: '2001:db8::5', family: 6 },
    ]);
    await expect(policy.resolve('missing.example.com', 5432)).rejects.toMatchObject({ code: 'ENOTFOUND' });
  });

  it('deny beats allow; an allow list refuses what it does not name; an allow entry lifts a built-in refusal only inside it', async () => {
    const policy = new EgressPolicy({ allow: [parseCidr('127.0.0.1/32'), parseCidr('10.0.0.0/8')], deny: [parseCidr('10.9.0.0/16')] });
    await expect(policy.resolve('127.0.0.1', 5432)).resolves.toHaveLength(1);
    await expect(policy.resolve('127.0.0.2', 5432)).rejects.toThrow(/outside the allowed ranges/);
    await expect(policy.resolve('10.9.1.1', 5432)).rejects.toThrow(/denied range 10\.9\.0\.0\/16/);
    await expect(policy.resolve('192.168.0.1', 5432)).rejects.toThrow(/outside the allowed ranges/);
    const wide = new EgressPolicy({ allow: [parseCidr('0.0.0.0/0')] });
    await expect(wide.resolve('127.0.0.1', 5432)).rejects.toThrow(/loopback/);
  });

  it('judges an IPv6 address a translator maps to IPv4 (NAT64, 6to4, Teredo, SIIT) by the IPv4 address it reaches', async () => {
    const policy = new EgressPolicy({
      deny: [parseCidr('10.9.0.0/16')],
      protectedEndpoints: [{ host: '10.0.0.5', port: 5432, name: 'the SyncBridge meta-store' }],
    });
    for (const [host, reaches] of [
      ['64:ff9b::a9fe:a9fe', /NAT64 address that reaches 169\.254\.169\.254, a link-local address/],
      ['64:ff9b::7f00:1', /NAT64 address that reaches 127\.0\.0\.1, a loopback/],
      ['64:ff9b:1::7f00:1', /local NAT64 address that reaches 127\.0\.0\.1/],
      ['2002:a9fe:a9fe::1', /6to4 address that reaches 169\.254\.169\.254/],
      ['::ffff:0:7f00:1', /IPv4-translated address that reaches 127\.0\.0\.1/],
      // Teredo: server 127.0.0.1; and a client 169.254.169.254 (stored inverted: 5601:5601).
      ['2001:0:7f00:1::1', /Teredo address that reaches 127\.0\.0\.1/],
      ['2001:0:cb00:7105::5601:5601', /Teredo address that reaches 169\.254\.169\.254/],
      ['64:ff9b::a09:101', /reaches 10\.9\.1\.1, in the denied range 10\.9\.0\.0\/16/],
    ] as const) {
      await expect(policy.resolve(`[${host}]`, 80), host).rejects.toThrow(reaches);
    }
    await expect(policy.resolve('64:ff9b::a00:5', 5432)).rejects.toThrow(/reaches 10\.0\.0\.5, the SyncBridge meta-store's own server/);
    // What they carry is public (or another port of the meta-store's host): allowed.
    for (const host of ['64:ff9b::cb00:7105', '2002:cb00:7105::1', '64:ff9b::a00:5']) await expect(policy.resolve(host, 6432), host).resolves.toHaveLength(1);
    // An allow entry inside the translation range is the operator's say-so.
    const allowed = new EgressPolicy({ allow: [parseCidr('64:ff9b::7f00:1/128')] });
    await expect(allowed.resolve('64:ff9b::7f00:1', 80)).resolves.toHaveLength(1);
    // ...but not over the deny list, whose own advice it gives.
    const deniedToo = new EgressPolicy({ allow: [parseCidr('64:ff9b::/96')], deny: [parseCidr('10.9.0.0/16')] });
    await expect(deniedToo.resolve('64:ff9b::a09:101', 80)).rejects.toThrow(
      /reaches 10\.9\.1\.1, in the denied range 10\.9\.0\.0\/16.*remove 10\.9\.0\.0\/16 from SYNCBRIDGE_EGRESS_DENY/,
    );
    await expect(new EgressPolicy({ allowLocal: true }).resolve('64:ff9b::7f00:1', 80)).resolves.toHaveLength(1);
  });

  it('local mode lifts the built-in refusals, not the deny list', async () => {
    const policy = new EgressPolicy({ allowLocal: true, deny: [parseCidr('169.254.169.254')] });
    await expect(policy.resolve('127.0.0.1', 5432)).resolves.toHaveLength(1);
    await expect(policy.resolve('169.254.169.254', 80)).rejects.toBeInstanceOf(EgressDeniedError);
  });

  it('hands the socket the addresses it checked, never a second DNS answer (DNS rebinding)', async () => {
    const answers = [['203.0.113.5'], ['127.0.0.1']];
    const policy = new EgressPolicy({ resolveName: async () => answers.shift() ?? [] });
    const lookup = pinnedLookup(policy, 5432);
    const first = await new Promise<unknown>((resolve) => lookup('rebind.example.com', { all: true }, (err, address) => resolve(err ?? address)));
    expect(first).toEqual([{ address: '203.0.113.5', family: 4 }]);
    // The next lookup (a reconnect) is checked again: the rebound answer is refused.
    const second = await new Promise<unknown>((resolve) => lookup('rebind.example.com', {}, (err, address) => resolve(err ?? address)));
    expect(second).toBeInstanceOf(EgressDeniedError);
  });
});
