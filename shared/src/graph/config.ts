import { createRequire } from 'node:module';

/** A stored connection that Graph or the identity platform cannot work with: fixing it needs a person. */
export class GraphConfigError extends Error {
  override name = 'GraphConfigError';
}

/**
 * One SharePoint connection as stored in the meta-store (`sharepoint_connections`),
 * decrypted. The same shape drives real Microsoft 365 and the SharePoint emulator:
 * only the URLs and the extra CA differ.
 */
export interface GraphConnectionConfig {
  connectionId: string;
  tenantId: string;
  clientId: string;
  clientSecret: string;
  /** default https://graph.microsoft.com/v1.0 ; emulator: http://127.0.0.1:port/v1.0 */
  graphBaseUrl: string;
  /** default https://login.microsoftonline.com ; emulator: https://127.0.0.1:port */
  authorityHost: string;
  /** Extra CA to trust (corporate TLS proxies; the emulator's self-signed certificate). */
  caCertificatePem?: string;
  /** Resource-unit budget per minute for this app in this tenant, default 1250. */
  ruPerMinute?: number;
  /** Resource units per 24 hours; null or absent: no daily cap. */
  ruPerDay?: number | null;
  /** The budget share bulk work keeps while smaller work waits (0..1], default 0.5. */
  bulkShare?: number;
}

export const DEFAULT_GRAPH_BASE_URL = 'https://graph.microsoft.com/v1.0';
export const DEFAULT_AUTHORITY_HOST = 'https://login.microsoftonline.com';
/**
 * Microsoft: "Avoid getting throttled or blocked in SharePoint Online" — an app in a
 * tenant of up to 1k licences gets 1,250 RU per minute (earlier revisions said 1,200).
 */
export const DEFAULT_RU_PER_MINUTE = 1250;

/**
 * Authorities of the Microsoft clouds. MSAL's instance discovery only knows these;
 * for any other host (the emulator, ADFS-like test IdPs) it must be disabled or
 * MSAL rejects the authority as unknown.
 */
const MICROSOFT_AUTHORITY_HOSTS = new Set([
  'login.microsoftonline.com',
  'login.microsoftonline.us',
  'login.chinacloudapi.cn',
  'login.microsoftonline.de',
  'login.windows.net',
  'login.microsoft.com',
  'sts.windows.net',
]);

export function isMicrosoftAuthority(authorityHost: string): boolean {
  return MICROSOFT_AUTHORITY_HOSTS.has(new URL(authorityHost).hostname.toLowerCase());
}

/** A config with defaults applied and URLs normalised (no trailing slash). */
export interface ResolvedGraphConfig extends Required<Omit<GraphConnectionConfig, 'caCertificatePem'>> {
  caCertificatePem: string | undefined;
  /** `https://graph.microsoft.com` — used for the token scope and to keep tokens on this origin. */
  graphOrigin: string;
  /** Everything before the version segment, e.g. `https://graph.microsoft.com/`. */
  graphHost: string;
  /** The version segment, e.g. `v1.0`. */
  graphVersion: string;
}

export function resolveGraphConfig(config: GraphConnectionConfig): ResolvedGraphConfig {
  const graphBaseUrl = stripTrailingSlash(config.graphBaseUrl || DEFAULT_GRAPH_BASE_URL);
  const authorityHost = stripTrailingSlash(config.authorityHost || DEFAULT_AUTHORITY_HOST);
  const graphUrl = new URL(graphBaseUrl);
  if (graphUrl.protocol !== 'https:' && graphUrl.protocol !== 'http:') {
    throw new GraphConfigError(`graphBaseUrl must be http(s): ${graphBaseUrl}`);
  }
  // MSAL refuses a non-https authority; fail early with a clear message instead.
  if (new URL(authorityHost).protocol !== 'https:') {
    throw new GraphConfigError(`authorityHost must use https: ${authorityHost}`);
  }
  const segments = graphUrl.pathname.split('/').filter(Boolean);
  const graphVersion = segments.pop() ?? 'v1.0';
  const prefix = segments.length ? `/${segments.join('/')}/` : '/';
  const ruPerMinute = config.ruPerMinute ?? DEFAULT_RU_PER_MINUTE;
  if (!Number.isFinite(ruPerMinute) || ruPerMinute <= 0) throw new GraphConfigError(`ruPerMinute must be positive: ${ruPerMinute}`);
  for (const key of ['connectionId', 'tenantId', 'clientId', 'clientSecret'] as const) {
    if (!config[key]) throw new GraphConfigError(`GraphConnectionConfig.${key} is required`);
  }
  return {
    connectionId: config.connectionId,
    tenantId: config.tenantId,
    clientId: config.clientId,
    clientSecret: config.clientSecret,
    graphBaseUrl,
    authorityHost,
    caCertificatePem: config.caCertificatePem || undefined,
    ruPerMinute,
    ruPerDay: config.ruPerDay ?? null,
    bulkShare: config.bulkShare ?? 0.5,
    graphOrigin: graphUrl.origin,
    graphHost: `${graphUrl.origin}${prefix}`,
    graphVersion,
  };
}

/**
 * The resource-unit budget belongs to the app in a tenant (Microsoft: "per app per
 * tenant"), not to our connection row: two connections with the same tenant and
 * client share one budget.
 */
export function connectionKey(config: Pick<GraphConnectionConfig, 'tenantId' | 'clientId'>): string {
  return `${config.tenantId.toLowerCase()}|${config.clientId.toLowerCase()}`;
}

function stripTrailingSlash(url: string): string {
  return url.replace(/\/+$/, '');
}

const require = createRequire(import.meta.url);
const sharedPackage = require('../../package.json') as { version?: string };

/** Product version for the decorated User-Agent. */
export const SYNCBRIDGE_VERSION: string = sharedPackage.version ?? '0.0.0';

/**
 * Microsoft asks ISV-less apps to decorate traffic as `NONISV|Company|App/Version`
 * so throttling decisions and support cases can identify the caller.
 */
export function userAgent(version: string = SYNCBRIDGE_VERSION): string {
  return `NONISV|SyncBridge|SyncBridge/${version}`;
}
