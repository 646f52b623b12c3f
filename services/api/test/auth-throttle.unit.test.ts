import { describe, expect, it } from 'vitest';
import { addressBucket, FailureThrottle } from '../src/lib/auth-throttle.ts';

describe('FailureThrottle', () => {
  const clock = () => {
    let now = 1_000_000;
    return { now: () => now, advance: (ms: number) => (now += ms) };
  };

  it('blocks a key after `limit` failures until its window ends, and says for how long', () => {
    const t = clock();
    const throttle = new FailureThrottle({ limit: 3, windowMs: 60_000, now: t.now });
    expect([throttle.fail('a'), throttle.fail('a')]).toEqual([false, false]);
    expect(throttle.retryAfterSeconds('a')).toBe(0);
    expect(throttle.fail('a')).toBe(true); // the one that blocks: logged once
    t.advance(15_500);
    expect(throttle.retryAfterSeconds('a')).toBe(45);
    expect(throttle.retryAfterSeconds('b')).toBe(0);
    t.advance(44_500);
    expect(throttle.retryAfterSeconds('a')).toBe(0);
    // A new window starts from scratch.
    expect(throttle.fail('a')).toBe(false);
    expect(throttle.retryAfterSeconds('a')).toBe(0);
  });

  it('does nothing with limit 0', () => {
    const throttle = new FailureThrottle({ limit: 0, windowMs: 60_000 });
    for (let i = 0; i < 100; i++) throttle.fail('a');
    expect(throttle.retryAfterSeconds('a')).toBe(0);
    expect(throttle.size).toBe(0);
  });

  it('keeps at most maxBuckets, dropping expired then the oldest', () => {
    const t = clock();
    const throttle = new FailureThrottle({ limit: 2, windowMs: 1_000, maxBuckets: 3, now: t.now });
    throttle.fail('old');
    t.advance(2_000);
    throttle.fail('a');
    throttle.fail('b');
    throttle.fail('c'); // 'old' expired: swept
    expect(throttle.size).toBe(3);
    throttle.fail('d'); // full of live ones: the oldest ('a') goes
    expect(throttle.size).toBe(3);
    throttle.fail('d');
    expect(throttle.retryAfterSeconds('d')).toBe(1);
  });
});

describe('addressBucket', () => {
  it('keys IPv4 by address, IPv4-mapped IPv6 as IPv4 and IPv6 by its /64', () => {
    expect(addressBucket('203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(addressBucket('2001:db8:1:2:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8:1:2::1')).toBe('2001:db8:1:2::/64');
    expect(addressBucket('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(addressBucket('::1')).toBe('0:0:0:0::/64');
    expect(addressBucket('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(addressBucket(undefined)).toBe('unknown');
  });
});
