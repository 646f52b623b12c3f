/**
 * The SharePoint emulator in a process of its own, for `initial-load.ts --emulator process`:
 * its CPU time (JSON, routing, its in-memory lists) then does not compete with the worker's
 * event loop, as the real Graph would not. Prints one JSON line with its URLs and CA
 * certificate on stdout; exits on SIGTERM/SIGINT or when its parent closes stdin.
 *
 *   BENCH_EMULATOR_RU_PER_MINUTE=0 node --import tsx bench/push/emulator-process.ts
 */
import { startEmulator } from '../../services/sharepoint-emulator/src/index.ts';

const ru = Number(process.env.BENCH_EMULATOR_RU_PER_MINUTE ?? '0');
if (!Number.isFinite(ru) || ru < 0) throw new Error(`BENCH_EMULATOR_RU_PER_MINUTE must be a number >= 0, got '${process.env.BENCH_EMULATOR_RU_PER_MINUTE}'`);
const emulator = await startEmulator({ ruPerMinute: ru });
process.stdout.write(
  `${JSON.stringify({ graphBaseUrl: emulator.graphBaseUrl, authorityHost: emulator.authorityHost, adminUrl: emulator.adminUrl, caCertificatePem: emulator.caCertificatePem })}\n`,
);

let stopping = false;
const stop = () => {
  if (stopping) return;
  stopping = true;
  emulator.close().then(
    () => process.exit(0),
    () => process.exit(1),
  );
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
// The parent holds our stdin open: when it goes away (even killed), so do we.
process.stdin.on('end', stop);
process.stdin.on('close', stop);
process.stdin.resume();
