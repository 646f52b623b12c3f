import { z } from 'zod';
import { parseCidrList } from '../net/cidr.ts';

/**
 * The only module that reads the environment. Each service asks for the slice it
 * needs; a wrong or missing variable fails start-up with a message naming it.
 */

const port = z.coerce.number().int().min(0).max(65535);

const metaStoreSchema = z.object({
  DATABASE_URL: z
    .string({ error: 'DATABASE_URL is required: the PostgreSQL URL of the SyncBridge meta-store' })
    .url('DATABASE_URL must be a URL such as postgres://user@host:5432/syncbridge'),
  DATABASE_POOL_MAX: z.coerce.number().int().min(1).max(200).default(10),
});

const temporalSchema = z.object({
  TEMPORAL_ADDRESS: z.string().min(1).default('127.0.0.1:7233'),
  TEMPORAL_NAMESPACE: z.string().min(1).default('default'),
  TEMPORAL_TASK_QUEUE: z.string().min(1).default('syncbridge'),
  TEMPORAL_UI_URL: z.string().url().default('http://127.0.0.1:8233'),
});

const secretsSchema = z.object({
  SYNCBRIDGE_ENCRYPTION_KEYS: z
    .string({
      error: 'SYNCBRIDGE_ENCRYPTION_KEYS is required: comma-separated "keyId:base64key" pairs of 32-byte keys (generate one with `openssl rand -base64 32`)',
    })
    .min(1),
  SYNCBRIDGE_ACTIVE_KEY_ID: z.string().min(1).optional(),
});

const observabilitySchema = z.object({
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  OTEL_EXPORTER_OTLP_ENDPOINT: z.string().url().optional(),
  OTEL_SERVICE_NAME: z.string().optional(),
});

/** Defaults of the API's request limits (also used when an API is built without them, as in tests). */
export const API_LIMIT_DEFAULTS = {
  API_BODY_LIMIT_BYTES: 1_048_576,
  API_AUTH_FAILURE_LIMIT: 10,
  API_AUTH_FAILURE_WINDOW_SECONDS: 60,
} as const;

/** Defaults of the per-key limits on live calls to sources and Graph (also used when an API is built without them, as in tests). */
export const API_PROBE_LIMIT_DEFAULTS = {
  API_PROBE_RATE_PER_MINUTE: 30,
  API_PROBE_BURST: 10,
} as const;

/** A comma-separated list of CIDR ranges (or single addresses), parsed. */
const cidrList = z
  .string()
  .default('')
  .transform((text, ctx) => {
    try {
      return parseCidrList(text);
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

/** Where sources and Graph may be reached (shared/src/net/egress.ts); the API and the worker apply the same policy. */
const egressSchema = z.object({
  /** Local mode: loopback, link-local and SyncBridge's own servers may be reached. `npm start` and the tests turn it on. */
  SYNCBRIDGE_EGRESS_ALLOW_LOCAL: z.enum(['true', 'false']).default('false'),
  /** When set, only these ranges may be reached. */
  SYNCBRIDGE_EGRESS_ALLOW: cidrList,
  /** Never reached, whatever else is set. */
  SYNCBRIDGE_EGRESS_DENY: cidrList,
});

const apiSchema = metaStoreSchema
  .extend(temporalSchema.shape)
  .extend(secretsSchema.shape)
  .extend(observabilitySchema.shape)
  .extend(egressSchema.shape)
  .extend({
    API_HOST: z.string().default('127.0.0.1'),
    API_PORT: port.default(8080),
    /** Largest request body the API reads; larger ones are refused with 413 before they are parsed. */
    API_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).max(104_857_600).default(API_LIMIT_DEFAULTS.API_BODY_LIMIT_BYTES),
    /** Failed authentications a client address (or a key prefix) may make per window before it gets 429; 0 turns throttling off. */
    API_AUTH_FAILURE_LIMIT: z.coerce.number().int().min(0).max(100_000).default(API_LIMIT_DEFAULTS.API_AUTH_FAILURE_LIMIT),
    API_AUTH_FAILURE_WINDOW_SECONDS: z.coerce.number().int().min(1).max(86_400).default(API_LIMIT_DEFAULTS.API_AUTH_FAILURE_WINDOW_SECONDS),
    /** First admin API key; created (hashed) at start if no key with that value exists. */
    SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY: z.string().min(24, 'SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY must be at least 24 characters').optional(),
    /** Live calls to sources and Graph (tests, introspection, discovery) each API key may make per minute, per kind, in each API process. */
    API_PROBE_RATE_PER_MINUTE: z.coerce.number().int().min(1).max(100_000).default(API_PROBE_LIMIT_DEFAULTS.API_PROBE_RATE_PER_MINUTE),
    /** How many of those may come at once before the rate applies. */
    API_PROBE_BURST: z.coerce.number().int().min(1).max(100_000).default(API_PROBE_LIMIT_DEFAULTS.API_PROBE_BURST),
  });

const workerSchema = metaStoreSchema
  .extend(temporalSchema.shape)
  .extend(secretsSchema.shape)
  .extend(observabilitySchema.shape)
  .extend(egressSchema.shape)
  .extend({
    WORKER_MAX_CONCURRENT_ACTIVITIES: z.coerce.number().int().min(1).default(20),
    WORKER_SHUTDOWN_GRACE_MS: z.coerce.number().int().min(0).default(30_000),
    /** A push activity goes on to the next page while it has run less than this (0: one page per activity). */
    WORKER_PUSH_SLICE_MS: z.coerce.number().int().min(0).max(60_000).default(5_000),
    /** A workflow bundle built at deploy time (`pnpm worker:bundle <file>`); unset: the worker builds one in a child process at start. */
    WORKER_WORKFLOW_BUNDLE: z.string().min(1).optional(),
    /**
     * The window SharePoint counts resource units in: its minute unless set. Only for an emulator whose
     * throttle window is shortened (tests), where a connection's ruPerMinute is then spent per this window.
     */
    GRAPH_BUDGET_WINDOW_MS: z.coerce.number().int().min(1_000).max(3_600_000).optional(),
  });

export type MetaStoreConfig = z.infer<typeof metaStoreSchema>;
export type TemporalConfig = z.infer<typeof temporalSchema>;
export type SecretsConfig = z.infer<typeof secretsSchema>;
export type ApiConfig = z.infer<typeof apiSchema>;
export type WorkerConfig = z.infer<typeof workerSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

function parse<T extends z.ZodTypeAny>(schema: T, env: Record<string, string | undefined>): z.infer<T> {
  // An empty variable means unset (as container runtimes and shells often pass them).
  const result = schema.safeParse(Object.fromEntries(Object.entries(env).filter(([, v]) => v !== '')));
  if (result.success) return result.data;
  const lines = result.error.issues.map((issue) => `  - ${issue.path.join('.') || '(root)'}: ${issue.message}`);
  throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
}

export const loadApiConfig = (env: Record<string, string | undefined> = process.env): ApiConfig => parse(apiSchema, env);
export const loadWorkerConfig = (env: Record<string, string | undefined> = process.env): WorkerConfig => parse(workerSchema, env);
export const loadMetaStoreConfig = (env: Record<string, string | undefined> = process.env): MetaStoreConfig => parse(metaStoreSchema, env);
export const loadTemporalConfig = (env: Record<string, string | undefined> = process.env): TemporalConfig => parse(temporalSchema, env);

const stackSchema = z.object({
  SYNCBRIDGE_DATA_DIR: z.string().default('.data'),
  DATABASE_URL: z.string().url().optional(),
  EMBEDDED_POSTGRES_PORT: port.default(54329),
  TEMPORAL_ADDRESS: z.string().min(1).optional(),
  TEMPORAL_CLI_PATH: z.string().optional(),
  TEMPORAL_PORT: port.default(7233),
  TEMPORAL_UI_PORT: port.default(8233),
  API_PORT: port.default(8080),
  /** The demo (sample source, SharePoint emulator, two syncs); off with SYNCBRIDGE_DEMO=false. */
  SYNCBRIDGE_DEMO: z.enum(['true', 'false']).default('true'),
  EMULATOR_PORT: port.default(8690),
  EMULATOR_TOKEN_PORT: port.default(8691),
  /** The stack runs on a developer's machine: its API and worker reach loopback sources and the emulator. */
  SYNCBRIDGE_EGRESS_ALLOW_LOCAL: z.enum(['true', 'false']).default('true'),
  SYNCBRIDGE_ENCRYPTION_KEYS: z.string().optional(),
  SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY: z.string().min(24).optional(),
  LOG_LEVEL: observabilitySchema.shape.LOG_LEVEL,
});
export type StackConfig = z.infer<typeof stackSchema>;
/** The local all-in-one launcher (`npm start`); unset services are started embedded. */
export const loadStackConfig = (env: Record<string, string | undefined> = process.env): StackConfig => parse(stackSchema, env);

const secretsToolSchema = metaStoreSchema.extend(secretsSchema.shape);
export type SecretsToolConfig = z.infer<typeof secretsToolSchema>;
/** `pnpm secrets:reencrypt`: the meta-store and the encryption keys. */
export const loadSecretsToolConfig = (env: Record<string, string | undefined> = process.env): SecretsToolConfig => parse(secretsToolSchema, env);
