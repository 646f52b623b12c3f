/*
 * The shapes of the API answers the UI reads: the fields it shows, as the OpenAPI document
 * (GET /openapi.json) describes them. Extra fields are ignored.
 */

export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

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
