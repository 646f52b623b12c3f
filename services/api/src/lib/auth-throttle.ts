import { isIPv6 } from 'node:net';
import { getConnInfo } from '@hono/node-server/conninfo';
import type { Context } from 'hono';

/*
 * Throttling of failed authentication, in memory (one API process = one budget; several
 * processes each keep their own, which multiplies the budget but never blocks wrongly).
 *
 * Each bucket counts failures in a fixed window that starts with its first failure. Once a
 * bucket has `limit` failures it is blocked until its window ends; the client is told when in
 * Retry-After. Successes are never counted and never reset a bucket (a client holding one good
 * key must not be able to wipe the count of its guesses with it).
 *
 * Buckets are kept for the client address (an IPv6 client by its /64, which one host usually
 * owns whole) and for the presented key's prefix. They differ in what a block does; see
 * authenticate() in auth.ts.
 */

export interface FailureThrottleOptions {
  /** Failures per window before a bucket is blocked; 0 turns throttling off. */
  limit: number;
  windowMs: number;
  /** Buckets kept at most, so a flood of addresses cannot grow memory without bound. */
  maxBuckets?: number;
  now?: () => number;
}

interface Bucket {
  failures: number;
  resetAt: number;
}

export class FailureThrottle {
  readonly #buckets = new Map<string, Bucket>();
  readonly #limit: number;
  readonly #windowMs: number;
  readonly #maxBuckets: number;
  readonly #now: () => number;

  constructor(opts: FailureThrottleOptions) {
    this.#limit = opts.limit;
    this.#windowMs = opts.windowMs;
    this.#maxBuckets = opts.maxBuckets ?? 10_000;
    this.#now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.#limit > 0;
  }

  /** Whole seconds until `key` may authenticate again; 0 when it is not blocked. */
  retryAfterSeconds(key: string): number {
    if (!this.enabled) return 0;
    const bucket = this.#live(key);
    if (!bucket || bucket.failures < this.#limit) return 0;
    return Math.max(1, Math.ceil((bucket.resetAt - this.#now()) / 1000));
  }

  /** Counts a failure of `key`; true when this one blocks it (to log the block once). */
  fail(key: string): boolean {
    if (!this.enabled) return false;
    let bucket = this.#live(key);
    if (!bucket) {
      bucket = { failures: 0, resetAt: this.#now() + this.#windowMs };
      this.#insert(key, bucket);
    }
    bucket.failures++;
    return bucket.failures === this.#limit;
  }

  /** Buckets held now (for tests and metrics). */
  get size(): number {
    return this.#buckets.size;
  }

  #live(key: string): Bucket | undefined {
    const bucket = this.#buckets.get(key);
    if (bucket && bucket.resetAt <= this.#now()) {
      this.#buckets.delete(key);
      return undefined;
    }
    return bucket;
  }

  #insert(key: string, bucket: Bucket): void {
    if (this.#buckets.size >= this.#maxBuckets) {
      const now = this.#now();
      for (const [k, b] of this.#buckets) if (b.resetAt <= now) this.#buckets.delete(k);
      // Still full: drop the oldest windows (a Map iterates in insertion order), they end first.
      for (const k of this.#buckets.keys()) {
        if (this.#buckets.size < this.#maxBuckets) break;
        this.#buckets.delete(k);
      }
    }
    this.#buckets.set(key, bucket);
  }
}

/**
 * The address the request came from, as a throttling key: the TCP peer (a forwarded-for header
 * is not trusted, anyone can send one), IPv4-mapped IPv6 as IPv4, other IPv6 by its /64.
 * "unknown" when the server gives none (e.g. app.fetch called in-process).
 */
export function clientAddress(c: Context): string {
  let address: string | undefined;
  try {
    address = getConnInfo(c).remote.address;
  } catch {
    address = undefined;
  }
  return addressBucket(address);
}

/** The throttling key of a peer address (see clientAddress). */
export function addressBucket(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(address);
  if (mapped) return mapped[1]!;
  return isIPv6(address) ? ipv6Prefix64(address) : address;
}

function ipv6Prefix64(address: string): string {
  const bare = address.replace(/%.*$/, '');
  const [head = '', tail] = bare.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((g) => parseInt(g || '0', 16).toString(16))
    .join(':')}::/64`;
}
