import { describe, expect, it } from 'vitest';
import { backoffMs, getHeader, parseRateLimit, parseRetryAfterMs, throttleDelayMs } from '../../src/graph/throttle.ts';

describe('Retry-After parsing', () => {
  it('reads whole and decimal seconds, rounding up to the millisecond', () => {
    expect(parseRetryAfterMs('10')).toBe(10_000);
    expect(parseRetryAfterMs('0.249')).toBe(249);
    expect(parseRetryAfterMs(' 2.5 ')).toBe(2_500);
    expect(parseRetryAfterMs('0.0001')).toBe(1);
    expect(parseRetryAfterMs('0')).toBe(0);
  });

  it('reads an HTTP-date relative to now and never returns a negative wait', () => {
    const now = Date.parse('2026-11-25T10:00:00Z');
    expect(parseRetryAfterMs('Wed, 25 Nov 2026 10:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfterMs('Wed, 25 Nov 2026 09:59:00 GMT', now)).toBe(0);
  });

  it('ignores absent or malformed values', () => {
    expect(parseRetryAfterMs(undefined)).toBeUndefined();
    expect(parseRetryAfterMs('')).toBeUndefined();
    expect(parseRetryAfterMs('soon')).toBeUndefined();
    expect(parseRetryAfterMs('-5')).toBeUndefined();
  });
});

describe('RateLimit headers and the throttle delay', () => {
  it('parses RateLimit-* from Headers and from batch sub-response records in any casing', () => {
    const headers = new Headers({ 'RateLimit-Limit': '1250', 'RateLimit-Remaining': '20', 'RateLimit-Reset': '31' });
    expect(parseRateLimit(headers)).toEqual({ limit: 1250, remaining: 20, resetMs: 31_000 });
    expect(parseRateLimit({ 'ratelimit-remaining': '0', 'RATELIMIT-RESET': '2' })).toEqual({ limit: undefined, remaining: 0, resetMs: 2_000 });
    expect(parseRateLimit({ 'Content-Type': 'application/json' })).toBeUndefined();
    expect(getHeader({ 'retry-after': '3' }, 'Retry-After')).toBe('3');
  });

  it('waits for the larger of Retry-After and RateLimit-Reset, or the fallback when neither is given', () => {
    expect(throttleDelayMs({ 'Retry-After': '0.249', 'RateLimit-Reset': '2' }, 9_999)).toBe(2_000);
    expect(throttleDelayMs({ 'Retry-After': '5', 'RateLimit-Reset': '2' }, 9_999)).toBe(5_000);
    expect(throttleDelayMs({ 'Retry-After': '0.249' }, 9_999)).toBe(249);
    expect(throttleDelayMs({}, 9_999)).toBe(9_999);
  });

  it('backs off exponentially within [ceiling/2, ceiling] and respects the cap', () => {
    expect(backoffMs(1, 500, 30_000, () => 0)).toBe(250);
    expect(backoffMs(1, 500, 30_000, () => 1)).toBe(500);
    expect(backoffMs(3, 500, 30_000, () => 1)).toBe(2_000);
    expect(backoffMs(20, 500, 30_000, () => 1)).toBe(30_000);
  });
});
