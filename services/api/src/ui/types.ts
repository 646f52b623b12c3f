import type { z } from '@hono/zod-openapi';
import type { OperationTicketSchema } from '../lib/operation-request.ts';
import type { AppSchema } from '../resources/apps.ts';
import type { InstanceSchema, SourceSchemaSnapshot as SourceSchemaSnapshotSchema } from '../resources/database-instances.ts';
import type { DatabaseSchema } from '../resources/databases.ts';
import type { MappingSchema, Proposal } from '../resources/field-mappings.ts';
import type { ConnectionSchema } from '../resources/sharepoint-connections.ts';
import type { Site } from '../resources/sharepoint-discovery.ts';
import type { TargetSchema } from '../resources/sync-targets.ts';

/*
 * The shapes of the API answers the UI reads, in one place for every page. Most are the API's
 * own response schemas (z.infer of the zod schemas in resources/ and lib/, named as in the
 * OpenAPI document), so a change of the API's shape fails the UI's type check; the others are
 * written out with the fields the UI shows (extra fields are ignored).
 */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

// Sources: apps, their databases and database instances, and the tables an instance's schema lists.
export type App = z.infer<typeof AppSchema>;
export type Database = z.infer<typeof DatabaseSchema>;
export type DatabaseInstance = z.infer<typeof InstanceSchema>;
export type SourceSchemaSnapshot = z.infer<typeof SourceSchemaSnapshotSchema>;
export type SourceTable = SourceSchemaSnapshot['tables'][number];
export type SourceColumn = SourceTable['columns'][number];

// SharePoint: connections, and the sites found through one.
export type SharePointConnection = z.infer<typeof ConnectionSchema>;
export type SharePointSite = z.infer<typeof Site>;

export interface Definition {
  id: string;
  appId: string;
  name: string;
  databaseId: string;
  sourceInstanceId: string | null;
  sourceSchema: string;
  sourceTable: string;
  keyStrategy: string;
  keyColumns: string[];
  cursorStrategy: string;
  cursorColumn: string | null;
  direction: 'push' | 'ingress' | 'both';
  conflictPolicy: string;
  targetStrategy: string;
  scheduleCron: string | null;
  scheduleIntervalSeconds: number | null;
  batchSize: number;
  enabled: boolean;
  sourceWarnings: Array<{ code?: string; message?: string }>;
  createdAt: string;
  updatedAt: string;
}

// A definition's mappings and lists, and the ticket of an operation asked of it.
export type FieldMapping = z.infer<typeof MappingSchema>;
export type FieldMappingProposal = z.infer<typeof Proposal>;
export type SyncTarget = z.infer<typeof TargetSchema>;
export type { RoutingRule } from '../resources/routing-rule.ts';
export type OperationTicket = z.infer<typeof OperationTicketSchema>;
export type { RunEstimate } from '../lib/run-estimate.ts';

export interface RunProgress {
  phase?: string;
  pass?: string | null;
  rowsDone?: number;
  rowsToDo?: number | null;
  percent?: number | null;
  etaSeconds?: number | null;
  waitingFor?: string | null;
}

export interface RunView {
  id: string;
  definitionId: string | null;
  kind: string;
  status: string;
  trigger: string;
  workflowId: string;
  temporalUiUrl: string;
  requestedBy: string | null;
  options: Record<string, unknown>;
  counts: Record<string, unknown>;
  errors: Array<{ message?: string; code?: string } | string>;
  progress: RunProgress | null;
  hold: { kind: string; message: string; deletions: number; sampleKeys: string[] } | null;
  startedAt: string | null;
  finishedAt: string | null;
  createdAt: string;
}

export interface Summary {
  definitionId: string;
  lastRun: RunView | null;
  activeRuns: number;
  quarantineOpen: number;
  ledgerEntries: number;
  schedules: Array<{ kind: string; paused: boolean; effectivelyPaused: boolean; nextRunAt: string | null }>;
  nextRunAt: string | null;
}

export interface DriftReport {
  id: string;
  definitionId: string;
  runId: string | null;
  counts: Record<string, number>;
  samples: Record<string, Array<Record<string, unknown>>>;
  graphRequests: number;
  createdAt: string;
}
