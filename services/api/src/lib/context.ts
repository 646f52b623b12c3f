import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Client, Connection } from '@temporalio/client';
import type { ApiConfig } from '@syncbridge/shared/config';
import type { SecretBox } from '@syncbridge/shared/crypto';
import type { MetaStore } from '@syncbridge/shared/db';
import type { GatewayRegistry } from '@syncbridge/shared/graph';
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
  config: Pick<ApiConfig, 'TEMPORAL_UI_URL'>;
}

export interface AppEnv {
  Variables: {
    requestId: string;
    principal: Principal;
    log: Logger;
  };
}

export type App = OpenAPIHono<AppEnv>;
