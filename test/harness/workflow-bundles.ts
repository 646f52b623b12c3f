// Run by the global setup in a child process (tsx): writes the two workflow bundles the integration
// suite shares, `<dir>/workflows.js` (what the tests' in-process workers and the replay test load)
// and `<dir>/workflows-otel.js` (what `pnpm worker:bundle` builds for a deployment, for worker processes).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { bundleWorkflowCode } from '@temporalio/worker';
import { WORKFLOWS_PATH, writeWorkflowBundle } from '../../services/worker/src/bundle.ts';

const dir = process.argv[2];
if (!dir) throw new Error('usage: workflow-bundles.ts <directory>');
const quiet = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
const { code } = await bundleWorkflowCode({ workflowsPath: WORKFLOWS_PATH, logger: quiet });
await writeFile(join(dir, 'workflows.js'), code);
await writeWorkflowBundle(join(dir, 'workflows-otel.js'));
