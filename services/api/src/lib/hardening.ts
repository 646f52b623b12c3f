import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { gzip } from 'node:zlib';
import { Scalar } from '@scalar/hono-api-reference';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { createMiddleware } from 'hono/factory';
import { NONCE, secureHeaders } from 'hono/secure-headers';
import type { App, AppEnv } from './context.ts';
import { ApiError, ErrorCode } from './problem.ts';

/*
 * What every response carries and every request is held to, whoever the caller is:
 * security headers, no caching of /v1 answers (they may hold a new API key or credentials'
 * metadata), a request body limit, and API docs served from this package rather than a CDN.
 */

const DOCS_PATH = '/docs';

// Headers both kinds of response share. HSTS is left to whoever terminates TLS: the API itself
// speaks plain HTTP and must not pin a whole domain (includeSubDomains) from here.
const common = {
  strictTransportSecurity: false,
  xFrameOptions: 'DENY',
  referrerPolicy: 'no-referrer',
  xContentTypeOptions: true,
} as const;

/** JSON and problem answers: nothing in them is ever rendered or framed. */
const apiHeaders = secureHeaders({
  ...common,
  contentSecurityPolicy: { defaultSrc: ["'none'"], frameAncestors: ["'none'"], baseUri: ["'none'"], formAction: ["'none'"] },
});

/**
 * The docs page: its script comes from this server, and only the inline start-up script that
 * carries this response's nonce may run. Styles may be inline (the reference sets style
 * attributes, which a nonce cannot allow); requests go to this server only ("Test request").
 */
const docsHeaders = secureHeaders({
  ...common,
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'", NONCE],
    styleSrc: ["'self'", "'unsafe-inline'"],
    imgSrc: ["'self'", 'data:', 'blob:'],
    fontSrc: ["'self'", 'data:'],
    connectSrc: ["'self'"],
    workerSrc: ["'self'", 'blob:'],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
  },
});

/**
 * The web UI (/ui): scripts and styles from this server only (htmx and the UI's own files, at
 * versioned paths), no inline script or style, no eval; forms post to this server only.
 */
const uiHeaders = secureHeaders({
  ...common,
  // Our own forms must carry our Origin (no-referrer would send "Origin: null"); other sites learn nothing.
  referrerPolicy: 'same-origin',
  contentSecurityPolicy: {
    defaultSrc: ["'none'"],
    scriptSrc: ["'self'"],
    styleSrc: ["'self'"],
    imgSrc: ["'self'"],
    fontSrc: ["'self'"],
    connectSrc: ["'self'"],
    frameAncestors: ["'none'"],
    baseUri: ["'none'"],
    formAction: ["'self'"],
  },
});

const isUiPath = (path: string) => path === '/ui' || path.startsWith('/ui/');

export const securityHeaders = createMiddleware<AppEnv>((c, next) =>
  c.req.path === DOCS_PATH ? docsHeaders(c, next) : isUiPath(c.req.path) ? uiHeaders(c, next) : apiHeaders(c, next),
);

/** /v1 answers are never cached: one of them is the only copy of a new API key, others describe credentials. */
export const noStore = createMiddleware<AppEnv>(async (c, next) => {
  await next();
  c.header('Cache-Control', 'no-store');
});

/**
 * Refuses a body larger than maxBytes with a 413 problem before anything parses it. A declared
 * Content-Length is judged from the header alone: the body is left untouched, so a request
 * refused later (401, 403, 415) leaves it for the server to drain and the connection stays
 * usable (reading the body's stream without consuming it broke keep-alive). A chunked body is
 * counted while it streams in, up to the limit.
 */
export function limitBody(maxBytes: number) {
  const tooLarge = (c: Context<AppEnv>): never => {
    // The rest of the body is not read: the client must not send its next request on this connection.
    c.header('Connection', 'close');
    throw new ApiError(413, ErrorCode.PayloadTooLarge, `the request body is larger than ${maxBytes} bytes, the most this API reads (API_BODY_LIMIT_BYTES)`);
  };
  const streamed = bodyLimit({ maxSize: maxBytes, onError: tooLarge });
  return createMiddleware<AppEnv>(async (c, next) => {
    if (c.req.header('transfer-encoding')) return streamed(c, next);
    const declared = c.req.header('content-length');
    // HTTP/1.1: without either header there is no body.
    if (declared !== undefined && !(Number(declared) <= maxBytes)) tooLarge(c);
    return next();
  });
}

// The API reference's browser bundle, from the @scalar/api-reference package this service
// depends on: the docs work without internet and run no code from a third party's server.
const require = createRequire(import.meta.url);
const scalarDist = dirname(require.resolve('@scalar/api-reference'));
const scalarVersion = (JSON.parse(readFileSync(join(scalarDist, '..', 'package.json'), 'utf8')) as { version: string }).version;
const standalonePath = join(scalarDist, 'browser', 'standalone.js');
/** Versioned, so it can be cached for good: a new version of the package gets a new URL. */
export const DOCS_SCRIPT_PATH = `${DOCS_PATH}/assets/scalar-api-reference-${scalarVersion}.js`;

let bundle: Promise<{ plain: Uint8Array<ArrayBuffer>; gzipped: Uint8Array<ArrayBuffer> }> | undefined;
/** Read (and compressed) once, on first use: 4-5 MB that most API processes never serve. */
const loadBundle = () =>
  (bundle ??= (async () => {
    const plain = await readFile(standalonePath);
    return { plain: new Uint8Array(plain), gzipped: new Uint8Array(await promisify(gzip)(plain)) };
  })().catch((err: unknown) => {
    bundle = undefined;
    throw err;
  }));

export function registerDocs(app: App): void {
  // Before the page's handler, which answers without calling next: the page embeds a
  // per-response nonce, so a cached copy would carry a stale one.
  app.use(DOCS_PATH, noStore);
  app.get(
    DOCS_PATH,
    Scalar((c) => ({
      url: '/openapi.json',
      pageTitle: 'SyncBridge API',
      cdn: DOCS_SCRIPT_PATH,
      // The nonce securityHeaders put in this response's CSP, for the inline start-up script.
      nonce: c.get('secureHeadersNonce') ?? '',
      // Nothing from other servers: no font CDN, no telemetry, no hosted AI agent.
      withDefaultFonts: false,
      telemetry: false,
      agent: { disabled: true },
    })),
  );
  app.get(DOCS_SCRIPT_PATH, async (c) => {
    const { plain, gzipped } = await loadBundle();
    const useGzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
    return c.body(useGzip ? gzipped : plain, 200, {
      'content-type': 'text/javascript; charset=utf-8',
      'cache-control': 'public, max-age=31536000, immutable',
      vary: 'accept-encoding',
      ...(useGzip ? { 'content-encoding': 'gzip' } : {}),
    });
  });
}
