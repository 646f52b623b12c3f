import { readFile, rename, stat, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';

/*
 * The worker as one compiled JavaScript file (esbuild), run by plain `node`.
 *
 * Run from TypeScript sources, the worker carries the tsx loader: its compiled sources and source
 * maps stay in memory for the process's life (about 40 MB resident, measured at start). Under the
 * 300 MB a 1,000,000-row load must fit in, that is worth a build step of about a second.
 *
 * What is compiled in: SyncBridge's own modules (the workspace packages). Everything from
 * node_modules stays an import, resolved here to its file, because pnpm gives each workspace
 * package its own dependencies: the output could not find them by name from dist/. So the file is
 * built for the checkout it sits in (like the workflow bundle, WORKER_WORKFLOW_BUNDLE), by
 * `pnpm worker:build` or by whatever starts the worker (ensureWorkerBuild), and is rebuilt when a
 * source it was built from changes.
 */

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = join(HERE, '..', '..', '..');
const ENTRY = join(HERE, 'main.ts');
/** The compiled worker; `node <flags> dist/worker.mjs` runs it. */
export const WORKER_BUILD_PATH = join(HERE, '..', 'dist', 'worker.mjs');
/** The sources the build was made from, to tell when it is stale. */
const INPUTS_PATH = join(HERE, '..', 'dist', 'worker.inputs.json');

/**
 * Modules of the workspace are compiled in, with `import.meta.url` fixed to their own file: they
 * find files beside them (migrations, package.json, the workflow bundler's entry) as they do when
 * run from source.
 */
const ownModules: Plugin = {
  name: 'syncbridge-own-modules',
  setup(b) {
    b.onResolve({ filter: /^[^./]/ }, async (args) => {
      // Bare specifiers: node builtins and packages stay imports; the workspace's own are compiled in.
      if (args.path.startsWith('@syncbridge/') || args.pluginData === 'resolving' || args.kind === 'entry-point') return undefined;
      if (args.path.startsWith('node:')) return { path: args.path, external: true };
      const resolved = await b.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
      if (resolved.errors.length) return { errors: resolved.errors };
      if (!resolved.path.includes('/node_modules/')) return undefined;
      return { path: pathToFileURL(resolved.path).href, external: true };
    });
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      const text = await readFile(args.path, 'utf8');
      return { contents: text.replaceAll('import.meta.url', JSON.stringify(pathToFileURL(args.path).href)), loader: 'ts' };
    });
  },
};

/** Compiles the worker into WORKER_BUILD_PATH (written whole, then renamed: a concurrent start never reads half a file). */
export async function buildWorker(): Promise<string> {
  const tmp = `${WORKER_BUILD_PATH}.${process.pid}.tmp`;
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: [ENTRY],
    outfile: tmp,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    // Packages are loaded the way Node loads them: CommonJS "main" and the "node"/"import" export conditions,
    // never a bundler-only "module" build (some of those do not run under Node's own ESM loader).
    mainFields: ['main'],
    conditions: ['node'],
    sourcemap: 'linked',
    metafile: true,
    logLevel: 'warning',
    plugins: [ownModules],
  });
  const inputs = Object.keys(result.metafile.inputs).filter((p) => !p.includes('node_modules') && !p.startsWith('file:'));
  await rename(`${tmp}.map`, `${WORKER_BUILD_PATH}.map`);
  await rename(tmp, WORKER_BUILD_PATH);
  await writeFile(INPUTS_PATH, JSON.stringify({ inputs: inputs.map((p) => join(ROOT, p)) }));
  return WORKER_BUILD_PATH;
}

/** Whether the compiled worker is older than a source it was built from (or than this build script). */
export async function workerBuildIsStale(): Promise<boolean> {
  const built = await stat(WORKER_BUILD_PATH).catch(() => null);
  if (!built) return true;
  const recorded = await readFile(INPUTS_PATH, 'utf8').catch(() => null);
  if (!recorded) return true;
  const { inputs } = JSON.parse(recorded) as { inputs: string[] };
  const sources = [...inputs, fileURLToPath(import.meta.url)];
  const times = await Promise.all(
    sources.map((p) =>
      stat(p).then(
        (s) => s.mtimeMs,
        () => Infinity,
      ),
    ),
  );
  return times.some((t) => t > built.mtimeMs);
}

let pending: Promise<string> | undefined;

/** The compiled worker, built first when missing or stale (once per process). */
export function ensureWorkerBuild(): Promise<string> {
  pending ??= workerBuildIsStale().then((stale) => (stale ? buildWorker() : WORKER_BUILD_PATH));
  return pending;
}
