import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gunzipSync } from 'node:zlib';

/** Recorded workflow histories, checked in: every one must replay against the current workflow code. */
export const HISTORIES_DIR = join(dirname(fileURLToPath(import.meta.url)), 'histories');

export interface RecordedHistory {
  file: string;
  /** JSON as `historyToJSON` wrote it (stored gzipped). */
  json: unknown;
}

export function recordedHistories(): RecordedHistory[] {
  return readdirSync(HISTORIES_DIR)
    .filter((f) => f.endsWith('.json.gz'))
    .sort()
    .map((file) => ({ file, json: JSON.parse(gunzipSync(readFileSync(join(HISTORIES_DIR, file))).toString('utf8')) as unknown }));
}
