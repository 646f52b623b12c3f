import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadStackConfig } from '@syncbridge/shared/config';
import { applyMigrations, connectMetaStore } from '@syncbridge/shared/db';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID } from '@syncbridge/sharepoint-emulator';
import { createSampleSource } from '../demo/sample-source.ts';
import { setupDemo } from '../demo/setup.ts';
import { startEmbeddedPostgres } from './embedded-postgres.ts';
import { localSecrets } from './local-secrets.ts';
import { startService, waitForHttp, type ManagedProcess } from './processes.ts';
import { startTemporalDevServer, type DevServer } from './temporal-dev-server.ts';
import { ensureWorkerBuild } from '../../services/worker/src/build.ts';
import { workerNodeFlags } from '../../services/worker/src/node-flags.ts';

/**
 * `npm start`: the whole SyncBridge stack on one machine. Anything configured in
 * the environment (DATABASE_URL, TEMPORAL_ADDRESS, keys) is used as given; the
 * rest starts embedded, with its state in the data folder.
 */
const root = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const cfg = loadStackConfig();
const dataDir = resolve(root, cfg.SYNCBRIDGE_DATA_DIR);
const logDir = join(dataDir, 'logs');
mkdirSync(logDir, { recursive: true });
const say = (msg: string) => console.log(`[syncbridge] ${msg}`);

// embedded-postgres installs signal handlers at import that stop PostgreSQL and exit at
// once (code 143), racing the ordered shutdown below (services first, database last).
// This launcher owns the process lifecycle, so those handlers are removed.
process.removeAllListeners('SIGINT');
process.removeAllListeners('SIGTERM');

const stops: Array<() => Promise<unknown>> = [];
let shuttingDown = false;
async function shutdown(code: number) {
  if (shuttingDown) return;
  shuttingDown = true;
  say('stopping…');
  for (const stop of stops.reverse()) await stop().catch((err: Error) => say(`while stopping: ${err.message}`));
  process.exit(code);
}
process.once('SIGINT', () => void shutdown(0));
process.once('SIGTERM', () => void shutdown(0));

try {
  let databaseUrl = cfg.DATABASE_URL;
  if (!databaseUrl) {
    say(`starting embedded PostgreSQL on 127.0.0.1:${cfg.EMBEDDED_POSTGRES_PORT} (data in ${join(dataDir, 'postgres')})`);
    const pg = await startEmbeddedPostgres({ dataDir, port: cfg.EMBEDDED_POSTGRES_PORT, log: (line) => (line.startsWith('granted') ? say(line) : undefined) });
    stops.push(pg.stop);
    databaseUrl = pg.url;
  }

  let temporalAddress = cfg.TEMPORAL_ADDRESS;
  let temporalUi: string | null = null;
  if (!temporalAddress) {
    if (!cfg.TEMPORAL_CLI_PATH) throw new Error('TEMPORAL_CLI_PATH is not set; start the stack with `npm start`, which installs the Temporal CLI');
    say(`starting Temporal dev server on 127.0.0.1:${cfg.TEMPORAL_PORT} (Web UI on ${cfg.TEMPORAL_UI_PORT})`);
    const temporal: DevServer = await startTemporalDevServer({
      cliPath: cfg.TEMPORAL_CLI_PATH,
      port: cfg.TEMPORAL_PORT,
      uiPort: cfg.TEMPORAL_UI_PORT,
      dbFile: join(dataDir, 'temporal.sqlite'),
    });
    stops.push(temporal.stop);
    temporalAddress = temporal.address;
    temporalUi = temporal.uiUrl;
  }

  const secrets = localSecrets(dataDir);
  const adminKey = cfg.SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY ?? secrets.adminApiKey;

  const store = connectMetaStore(databaseUrl, { max: 1, applicationName: 'syncbridge-migrate' });
  await applyMigrations(store);
  await store.close();
  say('meta-store migrated');

  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: databaseUrl,
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_UI_URL: temporalUi ?? process.env.TEMPORAL_UI_URL ?? 'http://127.0.0.1:8233',
    SYNCBRIDGE_ENCRYPTION_KEYS: cfg.SYNCBRIDGE_ENCRYPTION_KEYS ?? secrets.encryptionKeys,
    SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY: adminKey,
    API_PORT: String(cfg.API_PORT),
    LOG_LEVEL: cfg.LOG_LEVEL,
    // A developer's machine: the demo's source (the embedded PostgreSQL) and the emulator are on 127.0.0.1.
    SYNCBRIDGE_EGRESS_ALLOW_LOCAL: cfg.SYNCBRIDGE_EGRESS_ALLOW_LOCAL,
  };
  const apiUrl = `http://127.0.0.1:${cfg.API_PORT}`;
  const onExit = (name: string, code: number | null) => {
    say(`${name} exited unexpectedly (code ${code}); see ${join(logDir, `${name}.log`)}`);
    void shutdown(1);
  };
  const demo = cfg.SYNCBRIDGE_DEMO === 'true';
  const emulatorCert = join(dataDir, 'sharepoint-emulator-ca.pem');
  const emulator = {
    graphBaseUrl: `http://127.0.0.1:${cfg.EMULATOR_PORT}/v1.0`,
    authorityHost: `https://127.0.0.1:${cfg.EMULATOR_TOKEN_PORT}`,
    adminUrl: `http://127.0.0.1:${cfg.EMULATOR_PORT}/_emulator`,
  };
  const services: ManagedProcess[] = [];
  if (demo) {
    say(`starting the SharePoint emulator (Graph ${emulator.graphBaseUrl}, state in ${join(dataDir, 'sharepoint-emulator.json')})`);
    services.push(
      startService({
        name: 'sharepoint-emulator',
        entry: join(root, 'services/sharepoint-emulator/src/main.ts'),
        env: {
          ...process.env,
          EMULATOR_PORT: String(cfg.EMULATOR_PORT),
          EMULATOR_TOKEN_PORT: String(cfg.EMULATOR_TOKEN_PORT),
          EMULATOR_PERSIST_FILE: join(dataDir, 'sharepoint-emulator.json'),
          EMULATOR_CERT_FILE: emulatorCert,
        },
        logDir,
        onExit,
      }),
    );
  }
  services.push(
    // The worker runs compiled (services/worker/src/build.ts: without the TypeScript loader it needs less memory).
    startService({ name: 'worker', entry: await ensureWorkerBuild(), nodeArgs: workerNodeFlags(env), env, logDir, onExit }),
    startService({ name: 'api', entry: join(root, 'services/api/src/main.ts'), env, logDir, onExit }),
  );
  for (const s of services) stops.push(s.stop);

  await waitForHttp(`${apiUrl}/readyz`, 120_000);
  say('SyncBridge is up');
  if (demo) {
    await waitForHttp(`${emulator.adminUrl}/sites`, 60_000);
    while (!existsSync(emulatorCert)) await new Promise((r) => setTimeout(r, 100));
    say('setting up the demo through the API (sample shop database -> SharePoint emulator)');
    const sourceUrl = await createSampleSource(databaseUrl);
    const src = new URL(sourceUrl);
    await setupDemo({
      apiUrl,
      adminKey,
      source: {
        host: src.hostname,
        port: Number(src.port || 5432),
        database: src.pathname.slice(1),
        username: decodeURIComponent(src.username),
        password: decodeURIComponent(src.password),
      },
      sharepoint: {
        tenantId: DEFAULT_TENANT_ID,
        clientId: DEFAULT_CLIENT_ID,
        clientSecret: DEFAULT_CLIENT_SECRET,
        graphBaseUrl: emulator.graphBaseUrl,
        authorityHost: emulator.authorityHost,
        caCertificatePem: readFileSync(emulatorCert, 'utf8'),
      },
      say,
    });
    say(`  demo source:     ${sourceUrl.replace(/:[^:@/]*@/, ':***@')}  (tables shop.products, shop.order_lines)`);
    say(`  list contents:   ${emulator.adminUrl}/sites  then  ${emulator.adminUrl}/lists/<listId>/items`);
    say("  try: update shop.products set price = price + 1 where sku = 'LMP-001';  -> in the list within ~30 s");
  }
  say(`  web UI:          ${apiUrl}/ui   (sign in with the admin API key below)`);
  say(`  API docs:        ${apiUrl}/docs   (OpenAPI: ${apiUrl}/openapi.json)`);
  say(`  Temporal Web UI: ${temporalUi ?? '(external Temporal: ' + temporalAddress + ')'}`);
  say(`  admin API key:   ${cfg.SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY ? '(from SYNCBRIDGE_BOOTSTRAP_ADMIN_KEY)' : join(secrets.dir, 'admin-api-key')}`);
  say(`  logs:            ${logDir}`);
  say('press Ctrl+C to stop');
} catch (err) {
  say(`failed to start: ${(err as Error).message}`);
  await shutdown(1);
}
