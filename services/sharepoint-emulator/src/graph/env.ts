import type { HttpBindings } from '@hono/node-server';
import type { Counters } from '../counters.ts';
import type { Faults } from '../faults.ts';
import type { Settings } from '../settings.ts';
import type { Store, TenantRecord } from '../state.ts';
import type { Throttle } from '../throttle.ts';

/** Present in the env of a request dispatched by `$batch` through the same app. */
export interface SubRequestBinding {
  /** Set by the fault layer when a write was applied but its response must be lost. */
  lostResponse: boolean;
  /**
   * The request's JSON body as the batch holds it (already parsed): handed over as it is instead of
   * being written out and read back. Absent: the body travels in the request.
   */
  body?: { value: unknown };
  /** The JSON answer as a value, for the batch to embed (instead of reading back what was written out). */
  answer?: { value: unknown };
}

export type GraphEnv = {
  Bindings: Partial<HttpBindings> & { subRequest?: SubRequestBinding };
  Variables: {
    requestId: string;
    clientRequestId: string;
    auth: { tenantId: string; clientId: string; roles: readonly string[] };
    tenant: TenantRecord;
  };
};

export interface Logger {
  info(...a: unknown[]): void;
  warn(...a: unknown[]): void;
}

export interface GraphDeps {
  store: Store;
  settings: Settings;
  throttle: Throttle;
  faults: Faults;
  counters: Counters;
  logger: Logger;
  /** Dispatches a request through the whole app (used by `$batch`). */
  dispatch(request: Request, env: GraphEnv['Bindings']): Promise<Response>;
  /** Registers a timer that `close()` must clear (hanging lost responses). */
  trackTimer(timer: NodeJS.Timeout): void;
}
