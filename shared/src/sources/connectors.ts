import type { SourceConnector } from './connector.ts';
import { UnsupportedEngineError } from './errors.ts';
import { mysqlConnector } from './mysql/index.ts';
import { postgresConnector } from './postgres/index.ts';
import type { SourceEngine } from './types.ts';

/*
 * The engines this build can reach. A new engine is a folder (like postgres/) exporting a
 * SourceConnector, added to this list, plus a fixture for the contract suite
 * (shared/test/sources/contract/).
 */
export const SOURCE_CONNECTORS: readonly SourceConnector[] = [postgresConnector, mysqlConnector];

export function sourceConnectorFor(engine: SourceEngine): SourceConnector {
  const connector = SOURCE_CONNECTORS.find((c) => c.engines.includes(engine));
  if (!connector) {
    const supported = SOURCE_CONNECTORS.flatMap((c) => c.engines).join(', ');
    throw new UnsupportedEngineError(`source engine "${engine}" is not supported yet (supported: ${supported})`);
  }
  return connector;
}
