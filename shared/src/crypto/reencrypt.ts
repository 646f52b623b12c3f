import { eq, isNotNull } from 'drizzle-orm';
import { schema, type MetaStore } from '../db/index.ts';
import { SecretBox } from './secrets.ts';

/*
 * Key rotation, second half. New secrets are sealed with the active key as soon as it is the
 * active one; this rewrites the secrets stored before, so the old key can be removed from
 * SYNCBRIDGE_ENCRYPTION_KEYS. One transaction, rows locked: a secret saved meanwhile waits.
 */

export interface ReencryptReport {
  activeKeyId: string;
  /** How many secrets each key sealed before the run. */
  before: Record<string, number>;
  rewritten: number;
}

const SEALED = [
  { table: schema.databaseInstances, column: schema.databaseInstances.passwordEncrypted, field: 'passwordEncrypted' },
  { table: schema.sharepointConnections, column: schema.sharepointConnections.clientSecretEncrypted, field: 'clientSecretEncrypted' },
] as const;

export async function reencryptSecrets(store: MetaStore, box: SecretBox, activeKeyId: string): Promise<ReencryptReport> {
  const report: ReencryptReport = { activeKeyId, before: {}, rewritten: 0 };
  await store.db.transaction(async (tx) => {
    for (const { table, column, field } of SEALED) {
      const rows = (await tx.select({ id: table.id, sealed: column }).from(table).where(isNotNull(column)).for('update')) as Array<{
        id: string;
        sealed: string;
      }>;
      for (const row of rows) {
        const keyId = SecretBox.keyIdOf(row.sealed) ?? 'unknown';
        report.before[keyId] = (report.before[keyId] ?? 0) + 1;
        if (keyId === activeKeyId) continue;
        // Decrypting with the old key proves it is still configured; the plaintext never leaves this loop.
        await tx
          .update(table)
          .set({ [field]: box.encrypt(box.decrypt(row.sealed)) })
          .where(eq(table.id, row.id));
        report.rewritten++;
      }
    }
  });
  return report;
}
