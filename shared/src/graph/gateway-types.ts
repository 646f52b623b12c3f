import type { TokenCredential } from '@azure/identity';
import type { ColumnDefinition } from '@microsoft/microsoft-graph-types';
import type { EgressPolicy } from '../net/egress.ts';
import type { ConnectionErrorClass } from '../net/error-class.ts';
import type { Logger } from '../observability/logger.ts';
import type { SharedBudgetStore } from './shared-budget.ts';

/** Options and result shapes of the gateway's public API. */

export interface GraphGatewayOptions {
  logger?: Logger;
  /** Attempts per request / sub-request on throttling and transient errors. Default 6. */
  maxAttempts?: number;
  /** `$batch` envelopes in flight at once. Default: sized from the budget and the measured latency (GraphGateway.batchConcurrency). */
  batchConcurrency?: number;
  /** Socket inactivity timeout per request. Default 100 s (Graph's own gateway timeout is about that). */
  requestTimeoutMs?: number;
  /** Wait after a 429/503 that names no Retry-After. Default 10 s. */
  defaultThrottleMs?: number;
  backoffBaseMs?: number;
  appVersion?: string;
  /**
   * Budget window knobs. SharePoint counts per minute (the defaults); tests against an
   * emulator with a shortened window pass the same window here. The budget is shared
   * per tenant+app, so this changes it for every gateway of that app in the process.
   */
  budgetWindowMs?: number;
  budgetMarginMs?: number;
  /**
   * Another credential instead of the connection's client secret (certificate or
   * workload identity later; fakes in tests). Scope stays `<graph origin>/.default`.
   * A factory is called again when Graph rejects a token (401), to start afresh.
   */
  credential?: TokenCredential | (() => TokenCredential);
  /** Longest Retry-After wait before a call gives up with GraphThrottledError; unlimited by default (client.ts). */
  maxThrottleWaitMs?: number;
  /** The meta-store's budget scheduler: one RU budget per app and tenant for every process (shared-budget.ts). */
  budgetStore?: SharedBudgetStore;
  /** Where this connection may connect (shared/src/net/egress.ts); unrestricted when absent. */
  egress?: EgressPolicy;
}

export interface ConnectionTestResult {
  ok: boolean;
  /**
   * Where it stopped: acquiring the token, the app's permissions (the token's roles lack
   * Sites.Manage.All, code `missingPermission`), or calling Graph.
   */
  stage: 'token' | 'permissions' | 'graph' | 'done';
  status?: number;
  code?: string;
  message: string;
  requestId?: string;
  /** On failure: its class (shared/src/net/error-class.ts). */
  errorClass?: ConnectionErrorClass;
  /** On failure: a message of our own for the class, safe to show and store (`message` quotes the servers: logs only). */
  summary?: string;
  /** Set when the check passed with a caveat (the root site is not readable, e.g. Sites.Selected; roles unreadable). */
  warning?: string;
  /** The application permissions in the access token's `roles` claim, when the token is a readable JWT. */
  roles?: string[];
  site?: { id: string; webUrl: string | undefined; displayName: string | undefined };
}

export interface ListItemsOptions {
  /** OData `$filter`, e.g. `fields/SyncKey eq 'a1'` (index the column on big lists). */
  filter?: string;
  /** Field internal names to expand (`$expand=fields($select=...)`); all when omitted. */
  fields?: string[];
  /** listItem properties (`$select`), e.g. `['id', 'eTag']`. */
  select?: string[];
  orderby?: string;
  /** Page size, up to 5000. */
  top?: number;
  /** Allow `$filter` on non-indexed columns (fails on lists over 5,000 items). */
  preferNonIndexed?: boolean;
  signal?: AbortSignal;
}

export interface NewList {
  displayName: string;
  description?: string;
  columns?: ColumnDefinition[];
  /** Default `genericList`. */
  template?: string;
}
