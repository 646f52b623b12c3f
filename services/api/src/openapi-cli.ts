/**
 * Prints the admin API's OpenAPI 3.1 document (the same one GET /openapi.json serves), without
 * a database or Temporal: `pnpm openapi > openapi.json`, then generate clients from it.
 */
import { createApp, OPENAPI_DOCUMENT, type ApiDeps } from './app.ts';

// Routes only use their dependencies when a request arrives; describing them needs none.
const unused = new Proxy({}, { get: () => unused }) as unknown as ApiDeps;
process.stdout.write(`${JSON.stringify(createApp(unused).getOpenAPI31Document(OPENAPI_DOCUMENT), null, 2)}\n`);
