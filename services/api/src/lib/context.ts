import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Client, Connection } from '@temporalio/client';
import type { ApiConfig } from '@syncbridge/shared/config';
import type { SecretBox } from '@syncbridge/shared/crypto';
import type { MetaStore } from '@syncbridge/shared/db';
import type { GatewayRegistry } from '@syncbridge/shared/graph';
import type { EgressPolicy } from '@syncbridge/shared/net';
import type { CoordinatorClient } from '@syncbridge/workflows/client';
import type { Logger } from '@syncbridge/shared/logger';

export type Role = 'admin' | 'operator' | 'viewer';

export interface Principal {
  keyId: string;
  name: string;
  role: Role;
}

export interface TemporalDeps {
  client: Client;
  connection: Connection;
  /** A connection without the client's retry interceptor: readiness asks once and answers. */
  probe: Connection;
  namespace: string;
  taskQueue: string;
  uiUrl: string;
}

export interface ApiDeps {
  store: MetaStore;
  secrets: SecretBox;
  temporal: TemporalDeps;
  /** Asks definitions' coordinators for operations (docs/design/operations.md). */
  coordinators: CoordinatorClient;
  /** Graph gateways for the short interactive calls (connection test, discovery); closed with the API. */
  graph: GatewayRegistry;
  logger: Logger;
  /** The request limits are optional: absent ones take API_LIMIT_DEFAULTS / API_PROBE_LIMIT_DEFAULTS (shared/src/config/env.ts). */
  config: Pick<ApiConfig, 'TEMPORAL_UI_URL'> &
    Partial<Pick<ApiConfig, 'API_BODY_LIMIT_BYTES' | 'API_AUTH_FAILURE_LIMIT' | 'API_AUTH_FAILURE_WINDOW_SECONDS'>> &
    Partial<Pick<ApiConfig, 'API_PROBE_RATE_PER_MINUTE' | 'API_PROBE_BURST'>>;
  /** Where live calls to sources and Graph may connect (shared/src/net/egress.ts). */
  egress: EgressPolicy;
}

/**
 * The web UI calls this API in-process (app.request) as its signed-in key: the principal travels
 * in the request's env under this symbol, which no request from the network can carry.
 */
export const INTERNAL_PRINCIPAL = Symbol('syncbridge.internal-principal');
export type InternalEnv = { [INTERNAL_PRINCIPAL]?: Principal };

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    log: Logger;
  };
}

export type App = OpenAPIHono<AppEnv>;
