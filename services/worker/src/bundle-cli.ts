// `pnpm worker:bundle <file>`: writes the workflow bundle, for WORKER_WORKFLOW_BUNDLE (deployments that
// build it once) and for the worker's own start-up child process (bundle.ts).
import { writeWorkflowBundle } from './bundle.ts';

const out = process.argv[2];
if (!out) {
  console.error('usage: worker:bundle <output file>');
  process.exit(2);
}
await writeWorkflowBundle(out);
