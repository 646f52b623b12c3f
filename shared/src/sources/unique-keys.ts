import type { IntrospectedTable, IntrospectedUniqueKey } from './types.ts';

const sameSet = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x) => b.includes(x));

/**
 * Column sets PostgreSQL guarantees unique: the primary key, unique constraints, and unique
 * indexes on plain columns without a predicate (a partial index leaves the other rows free to
 * repeat; an expression index does not make its columns unique). A set already listed is not
 * repeated (a constraint and the index behind it are one key). Derived from the table's keys
 * and indexes, so it also works on snapshots stored before `uniqueKeys` existed; key
 * validation uses exactly this list.
 */
export function uniqueKeysOf(table: Pick<IntrospectedTable, 'primaryKey' | 'uniqueConstraints' | 'indexes'>): IntrospectedUniqueKey[] {
  const keys: IntrospectedUniqueKey[] = [];
  const add = (name: string, columns: readonly string[], source: IntrospectedUniqueKey['source']) => {
    if (columns.length > 0 && !keys.some((k) => sameSet(k.columns, columns))) keys.push({ name, columns: [...columns], source });
  };
  if (table.primaryKey) add(table.primaryKey.name, table.primaryKey.columns, 'primary_key');
  for (const u of table.uniqueConstraints) add(u.name, u.columns, 'unique_constraint');
  for (const i of table.indexes) {
    // Snapshots from before `partial` was recorded only have the definition to go by.
    const partial = i.partial ?? /\bWHERE\b/i.test(i.definition);
    if (i.unique && !partial && !i.hasExpressions) add(i.name, i.columns, 'unique_index');
  }
  return keys;
}
