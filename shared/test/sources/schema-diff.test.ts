import { describe, expect, it } from 'vitest';
import { diffSnapshots } from '../../src/sources/schema-diff.ts';
import type { SchemaSnapshot } from '../../src/sources/types.ts';
import { col, tableOf } from '../mapping/fixtures.ts';

const snap = (tables: SchemaSnapshot['tables']): SchemaSnapshot => ({ engine: 'postgres', serverVersion: '16', capturedAt: '2024-01-01T00:00:00Z', tables });

describe('diffSnapshots (pure)', () => {
  it('reports type family changes of a domain and primary key changes', () => {
    const before = snap([tableOf([col('id', 'integer', { dataType: 'my_id' }), col('x', 'text')], { primaryKey: { name: 'pk', columns: ['id'] } })]);
    const after = snap([tableOf([col('id', 'bigint', { dataType: 'my_id' }), col('x', 'text')], { primaryKey: { name: 'pk', columns: ['id', 'x'] } })]);
    expect(diffSnapshots(before, after)).toEqual({
      addedTables: [],
      removedTables: [],
      changedTables: [{ table: 'public.t', addedColumns: [], removedColumns: [], changedColumns: [{ column: 'id', changes: [{ property: 'typeFamily', before: 'integer', after: 'bigint' }] }], primaryKeyChanged: true }],
      hasChanges: true,
    });
  });

  it('treats tables with the same name in different schemas as different tables', () => {
    const a = snap([tableOf([col('id', 'integer')], { schema: 'a' })]);
    const b = snap([tableOf([col('id', 'integer')], { schema: 'b' })]);
    expect(diffSnapshots(a, b)).toMatchObject({ addedTables: ['b.t'], removedTables: ['a.t'], changedTables: [] });
  });
});
