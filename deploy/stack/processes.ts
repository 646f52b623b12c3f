import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ManagedProcess {
  name: string;
  child: ChildProcess;
  logFile: string;
  stop(): Promise<void>;
}

/** Runs an entry point (TypeScript under tsx, or compiled JavaScript), its output in the data folder's logs/. */
export function startService(opts: {
  name: string;
  /** A `.ts` file runs under the tsx loader; a `.mjs`/`.js` file (the compiled worker) runs as it is. */
  entry: string;
  /** Node flags before the entry (the worker's memory flags). */
  nodeArgs?: string[];
  env: NodeJS.ProcessEnv;
  logDir: string;
  onExit: (name: string, code: number | null) => void;
}): ManagedProcess {
  mkdirSync(opts.logDir, { recursive: true });
  const logFile = join(opts.logDir, `${opts.name}.log`);
  const out = createWriteStream(logFile, { flags: 'a' });
  const loader = opts.entry.endsWith('.ts') ? ['--import', 'tsx'] : [];
  const child = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...loader, opts.entry], { env: opts.env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.pipe(out);
  child.stderr?.pipe(out);
  let stopping = false;
  child.once('exit', (code) => {
    if (!stopping) opts.onExit(opts.name, code);
  });
  return {
    name: opts.name,
    child,
    logFile,
    async stop() {
      stopping = true;
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 35_000);
      await new Promise((r) => child.once('exit', r));
      clearTimeout(timer);
    },
  };
}

export async function waitForHttp(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last = '';
  while (Date.now() < deadline) {
    try {
      const res = await fetch(url);
      if (res.ok) return;
      last = `${res.status} ${await res.text()}`;
    } catch (err) {
      last = (err as Error).message;
    }
    await new Promise((r) => setTimeout(r, 300));
  }
  throw new Error(`${url} did not answer 200 within ${timeoutMs} ms (last: ${last})`);
}
