/**
 * A push activity's pages overlap (activities/src/push/batch.ts): page N+1 is planned while page N
 * is written, and written while page N commits. The rules:
 * - commits run one at a time, in page order (`settle` before `start`);
 * - a page reads its ledger entries only after the commit of every earlier page still in flight
 *   that it could see: one with a ledger key in common, or any when `waitAlways` (the definition
 *   looks up its own rows);
 * - a commit's failure surfaces at the next wait for it, and fails the activity there.
 */
export class CommitPipeline {
  private committing: Promise<void> | null = null;
  /** Pages written or being written whose commit has not finished, with the ledger keys they change. */
  private readonly inFlight = new Set<{ keys: ReadonlySet<string>; committed: Promise<void> }>();

  constructor(private readonly waitAlways: boolean) {}

  /**
   * A page about to be written: later pages that share one of its keys wait for its commit. Call
   * `done` once its commit has ended (committed or failed): waiting pages go on (or fail) then.
   */
  track(keys: readonly string[]): { done(error?: unknown): void } {
    let finish!: (error?: unknown) => void;
    const committed = new Promise<void>((resolve, reject) => {
      finish = (error) => (error === undefined ? resolve() : reject(error as Error));
    });
    // Observed by the pages that wait for it, if any.
    committed.catch(() => undefined);
    const page = { keys: new Set(keys), committed };
    this.inFlight.add(page);
    return {
      done: (error?: unknown) => {
        this.inFlight.delete(page);
        finish(error);
      },
    };
  }

  /** Before a page reads the ledger entries of `keys`: waits for the commits of earlier pages it could see. */
  async beforeLedgerRead(keys: readonly string[]): Promise<void> {
    for (const page of [...this.inFlight]) if (this.waitAlways || keys.some((k) => page.keys.has(k))) await page.committed;
  }

  /** Waits for the running commit; its failure throws here. */
  async settle(): Promise<void> {
    const running = this.committing;
    this.committing = null;
    await running;
  }

  /** Starts a page's commit (after the one before it is settled). */
  start(commit: () => Promise<void>): void {
    if (this.committing) throw new Error('a commit is already running: settle it first (commits go in page order)');
    const running = commit();
    // Awaited at the next settle (or dropped by drain): never an unhandled rejection.
    running.catch(() => undefined);
    this.committing = running;
  }

  /** Waits for a running commit whatever its outcome (the activity is failing anyway: nothing commits behind its back). */
  async drain(): Promise<void> {
    await this.committing?.catch(() => undefined);
    this.committing = null;
  }
}
