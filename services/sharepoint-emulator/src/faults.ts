import { z } from 'zod';

const probability = z.number().min(0).max(1);

export const faultConfigSchema = z
  .object({
    /** Extra latency per request: fixed milliseconds or an inclusive [min, max] range. */
    latencyMs: z.union([z.number().min(0), z.tuple([z.number().min(0), z.number().min(0)])]),
    /** Probability of answering 429 activityLimitReached before the request runs. */
    throttleProbability: probability,
    /** Probability of answering 503 serviceNotAvailable before the request runs. */
    unavailableProbability: probability,
    /** Retry-After (seconds) sent with injected 429/503. */
    retryAfterSeconds: z.number().min(0),
    /** Probability that a successful write is applied but its response never arrives. */
    lostResponseProbability: probability,
    /** `destroy` resets the connection at once; `hang` keeps it open for `hangMs`, then resets it. */
    lostResponseMode: z.enum(['destroy', 'hang']),
    hangMs: z.number().int().min(0),
    /** Graph answers batch sub-requests in any order; shuffling keeps clients from relying on order. */
    shuffleBatchResponses: z.boolean(),
    /** Seed for a deterministic fault sequence; null uses Math.random. */
    seed: z.number().int().nullable(),
  })
  .strict();

export type FaultConfig = z.infer<typeof faultConfigSchema>;
export const faultPatchSchema = faultConfigSchema.partial();

export const defaultFaults = (): FaultConfig => ({
  latencyMs: 0,
  throttleProbability: 0,
  unavailableProbability: 0,
  retryAfterSeconds: 1,
  lostResponseProbability: 0,
  lostResponseMode: 'destroy',
  hangMs: 30_000,
  shuffleBatchResponses: true,
  seed: null,
});

function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export class Faults {
  config: FaultConfig = defaultFaults();
  private random: () => number = Math.random;

  update(patch: z.infer<typeof faultPatchSchema>): void {
    this.config = { ...this.config, ...patch };
    this.random = this.config.seed === null ? Math.random : mulberry32(this.config.seed);
  }

  reset(): void {
    this.config = defaultFaults();
    this.random = Math.random;
  }

  roll(p: number): boolean {
    return p > 0 && (p >= 1 || this.random() < p);
  }

  latency(): number {
    const l = this.config.latencyMs;
    if (typeof l === 'number') return l;
    const [min, max] = l[0] <= l[1] ? l : [l[1], l[0]];
    return min + Math.floor(this.random() * (max - min + 1));
  }

  shuffle<T>(items: T[]): T[] {
    const out = [...items];
    for (let i = out.length - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      [out[i], out[j]] = [out[j] as T, out[i] as T];
    }
    return out;
  }
}
