import { createHash } from 'node:crypto';
import { routingTargets, type FrozenContext } from './definition-context.ts';

/**
 * Version of the key text SyncBridge writes. 2: lossless canonical texts read from the
 * database (ISO 8601 timestamps with every digit, char(n) without blanks). A change makes
 * the next run a full pass, which moves each ledger entry to its new key.
 */
export const KEY_ENCODING_VERSION = 2;

/**
 * What decides whether rows synced before must be looked at again: mappings, keys, routing,
 * the key encoding, and the source instance (a watermark taken on one server means nothing on
 * another). A cursor stored with another fingerprint makes the next run a full pass.
 */
export function definitionFingerprint(ctx: Pick<FrozenContext, 'definition' | 'mappings' | 'targets' | 'instanceId'>): string {
  const mappings = [...ctx.mappings].sort((a, b) => a.sourceColumn.localeCompare(b.sourceColumn));
  const targets = routingTargets(ctx.targets).sort((a, b) => a.id.localeCompare(b.id));
  return createHash('sha256')
    .update(
      JSON.stringify({
        mappings,
        keys: ctx.definition.keyColumns,
        strategy: ctx.definition.targetStrategy,
        targets,
        keyEncoding: KEY_ENCODING_VERSION,
        instance: ctx.instanceId,
      }),
    )
    .digest('hex');
}
