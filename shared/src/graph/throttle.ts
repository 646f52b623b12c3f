/**
 * Throttling signals. Microsoft ("Avoid getting throttled or blocked in SharePoint
 * Online", "Microsoft Graph throttling guidance"):
 * - 429 and 503 carry `Retry-After`; it is given in seconds and SharePoint may send a
 *   decimal (`0.249`). HTTP also allows an HTTP-date, which we accept too.
 * - Past 80% of the minute's budget, responses carry `RateLimit-Limit`,
 *   `RateLimit-Remaining` and `RateLimit-Reset` (seconds until the window resets).
 * - Wait for the larger of `Retry-After` and `RateLimit-Reset` before trying again.
 * Sub-responses of `$batch` carry their own headers as a JSON object, so every helper
 * here takes either `Headers` or a plain record with any header-name casing.
 */

export type HeaderSource = Headers | Record<string, string | string[] | number | undefined> | undefined | null;

export function getHeader(headers: HeaderSource, name: string): string | undefined {
  if (!headers) return undefined;
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== wanted || value === undefined || value === null) continue;
    return Array.isArray(value) ? value.join(', ') : String(value);
  }
  return undefined;
}

/** `Retry-After` in milliseconds; undefined when absent or unparseable. */
export function parseRetryAfterMs(value: string | undefined | null, now: number = Date.now()): number | undefined {
  if (value === undefined || value === null) return undefined;
  const text = value.trim();
  if (text === '') return undefined;
  if (/^\d+(\.\d+)?$/.test(text)) return Math.ceil(Number(text) * 1000);
  const date = Date.parse(text);
  // Only an HTTP-date (it names a weekday and month); Date.parse would also accept '-5'.
  if (!/[a-z]/i.test(text) || Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

export interface RateLimitInfo {
  limit?: number;
  remaining?: number;
  /** Milliseconds until the budget window resets. */
  resetMs?: number;
}

export function parseRateLimit(headers: HeaderSource): RateLimitInfo | undefined {
  const limit = toNumber(getHeader(headers, 'RateLimit-Limit'));
  const remaining = toNumber(getHeader(headers, 'RateLimit-Remaining'));
  const reset = toNumber(getHeader(headers, 'RateLimit-Reset'));
  if (limit === undefined && remaining === undefined && reset === undefined) return undefined;
  return { limit, remaining, resetMs: reset === undefined ? undefined : Math.ceil(reset * 1000) };
}

/**
 * How long to wait after a throttled (429/503) response: the larger of Retry-After
 * and RateLimit-Reset, or `fallbackMs` when the service gave neither.
 */
export function throttleDelayMs(headers: HeaderSource, fallbackMs: number, now: number = Date.now()): number {
  const retryAfter = parseRetryAfterMs(getHeader(headers, 'Retry-After'), now);
  const reset = parseRateLimit(headers)?.resetMs;
  if (retryAfter === undefined && reset === undefined) return fallbackMs;
  return Math.max(retryAfter ?? 0, reset ?? 0);
}

/**
 * Exponential backoff ("equal jitter": half fixed, half random) for failures that
 * carry no Retry-After (5xx, network errors): base * 2^(attempt-1), capped, so that
 * workers do not retry in lock-step.
 */
export function backoffMs(attempt: number, baseMs = 500, capMs = 30_000, random: () => number = Math.random): number {
  const ceiling = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

function toNumber(value: string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value.trim());
  return Number.isFinite(n) ? n : undefined;
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason as Error);
      return;
    }
    const onAbort = (): void => {
      clearTimeout(timer);
      reject(signal?.reason as Error);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
