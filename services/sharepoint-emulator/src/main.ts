import { writeFileSync } from 'node:fs';
import { DEFAULT_CLIENT_ID, DEFAULT_CLIENT_SECRET, DEFAULT_TENANT_ID, SITE_ROLES, type SiteRole, startEmulator } from './index.ts';

/**
 * Runs the emulator as a process: `tsx services/sharepoint-emulator/src/main.ts`.
 * Prints one JSON line with its URLs on stdout; logs go to stderr; SIGTERM/SIGINT close it.
 */
const env = process.env;
const port = (name: string): number | undefined => {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0 || n > 65535) throw new Error(`${name} must be a port number, got '${raw}'`);
  return n;
};

const tenantId = env.EMULATOR_TENANT_ID || DEFAULT_TENANT_ID;
const clientId = env.EMULATOR_CLIENT_ID || DEFAULT_CLIENT_ID;
const clientSecret = env.EMULATOR_CLIENT_SECRET || DEFAULT_CLIENT_SECRET;
/** Comma-separated application permissions for the app, e.g. `Sites.ReadWrite.All`; Sites.Manage.All when unset. */
const roles = (() => {
  const raw = env.EMULATOR_CLIENT_ROLES;
  if (raw === undefined || raw.trim() === '') return undefined;
  const list = raw
    .split(',')
    .map((r) => r.trim())
    .filter(Boolean);
  const unknown = list.filter((r) => !(SITE_ROLES as readonly string[]).includes(r));
  if (unknown.length > 0) throw new Error(`EMULATOR_CLIENT_ROLES: unknown role(s) ${unknown.join(', ')}; known: ${SITE_ROLES.join(', ')}`);
  return list as SiteRole[];
})();

const emulator = await startEmulator({
  port: port('EMULATOR_PORT'),
  tokenPort: port('EMULATOR_TOKEN_PORT'),
  host: env.EMULATOR_HOST || undefined,
  persistFile: env.EMULATOR_PERSIST_FILE || undefined,
  tenants: [{ tenantId, clients: [{ clientId, clientSecret, ...(roles ? { roles } : {}) }] }],
  logger: { info: (...a) => console.error(...a), warn: (...a) => console.error(...a) },
});

if (env.EMULATOR_CERT_FILE) writeFileSync(env.EMULATOR_CERT_FILE, emulator.caCertificatePem);

process.stdout.write(
  `${JSON.stringify({
    graphBaseUrl: emulator.graphBaseUrl,
    authorityHost: emulator.authorityHost,
    adminUrl: emulator.adminUrl,
    tenantId,
    clientId,
    caCertificateFile: env.EMULATOR_CERT_FILE || null,
  })}\n`,
);

let stopping = false;
const stop = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.error(`sharepoint-emulator: ${signal}, closing`);
  emulator.close().then(
    () => process.exit(0),
    (err: unknown) => {
      console.error(err);
      process.exit(1);
    },
  );
};
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
