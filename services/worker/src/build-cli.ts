// `pnpm worker:build`: compiles the worker to services/worker/dist/worker.mjs (build.ts), for deployments
// that start it with `node` themselves; the project's own launchers build it when it is missing or stale.
import { buildWorker } from './build.ts';

console.log(await buildWorker());
