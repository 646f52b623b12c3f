import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gzipSync } from 'node:zlib';
import type { Hono } from 'hono';

/*
 * Every file the UI loads comes from this server: htmx from its npm package, the UI's own style
 * sheet and script from this folder. Paths carry a hash of the content, so they are cached for
 * good and a new release gets new URLs. No fonts are loaded (the system's fonts are used).
 */

const require = createRequire(import.meta.url);

interface Asset {
  path: string;
  type: string;
  plain: Uint8Array<ArrayBuffer>;
  gzipped: Uint8Array<ArrayBuffer>;
}

function asset(name: string, file: string, type: string): Asset {
  const plain = new Uint8Array(readFileSync(file));
  const hash = createHash('sha256').update(plain).digest('hex').slice(0, 12);
  const dot = name.lastIndexOf('.');
  return { path: `/ui/assets/${name.slice(0, dot)}-${hash}${name.slice(dot)}`, type, plain, gzipped: new Uint8Array(gzipSync(plain)) };
}

const files = {
  css: asset('ui.css', new URL('./assets/ui.css', import.meta.url).pathname, 'text/css; charset=utf-8'),
  js: asset('ui.js', new URL('./assets/ui.js', import.meta.url).pathname, 'text/javascript; charset=utf-8'),
  icon: asset('icon.svg', new URL('./assets/icon.svg', import.meta.url).pathname, 'image/svg+xml'),
  htmx: asset('htmx.min.js', require.resolve('htmx.org/dist/htmx.min.js'), 'text/javascript; charset=utf-8'),
};

export const ASSETS = { css: files.css.path, js: files.js.path, htmx: files.htmx.path, icon: files.icon.path };

/** Registers the assets on the UI's sub-app (mounted at /ui). */
export function registerAssets(ui: Hono<never>): void {
  for (const a of Object.values(files)) {
    ui.get(a.path.slice('/ui'.length), (c) => {
      const useGzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
      return c.body(useGzip ? a.gzipped : a.plain, 200, {
        'content-type': a.type,
        'cache-control': 'public, max-age=31536000, immutable',
        vary: 'accept-encoding',
        ...(useGzip ? { 'content-encoding': 'gzip' } : {}),
      });
    });
  }
}
