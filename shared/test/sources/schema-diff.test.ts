import { describe, expect, it } from 'vitest';
import { snapshotFingerprint } from '../../src/sources/fingerprint.ts';
import { diffSnapshots } from '../../src/sources/schema-diff.ts';
import { uniqueKeysOf } from '../../src/sources/unique-keys.ts';
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
      changedTables: [
        {
          table: 'public.t',
          addedColumns: [],
          removedColumns: [],
          changedColumns: [{ column: 'id', changes: [{ property: 'typeFamily', before: 'integer', after: 'bigint' }] }],
          primaryKeyChanged: true,
        },
      ],
      addedPartitions: [],
      removedPartitions: [],
      hasChanges: true,
    });
  });

  it('treats tables with the same name in different schemas as different tables', () => {
    const a = snap([tableOf([col('id', 'integer')], { schema: 'a' })]);
    const b = snap([tableOf([col('id', 'integer')], { schema: 'b' })]);
    expect(diffSnapshots(a, b)).toMatchObject({ addedTables: ['b.t'], removedTables: ['a.t'], changedTables: [] });
  });

  it('reports partitions apart from tables, and a table attached as a partition as both', () => {
    const parent = (partitions: string[], columns = [col('id', 'integer')]) => tableOf(columns, { name: 'pay', kind: 'partitioned_table', partitions });
    const part = (name: string, columns = [col('id', 'integer')]) =>
      tableOf(columns, { name, kind: 'partition', partitionOf: 'public.pay', partitionRoot: 'public.pay' });
    const before = snap([parent(['public.pay_1']), part('pay_1'), tableOf([col('id', 'integer')], { name: 'pay_2' })]);
    // pay_2 attached; a column added to the parent shows on every partition too.
    const wider = [col('id', 'integer'), col('note', 'text')];
    const after = snap([parent(['public.pay_1', 'public.pay_2'], wider), part('pay_1', wider), part('pay_2', wider)]);
    expect(diffSnapshots(before, after)).toEqual({
      addedTables: [],
      removedTables: ['public.pay_2'],
      changedTables: [{ table: 'public.pay', addedColumns: ['note'], removedColumns: [], changedColumns: [], primaryKeyChanged: false }],
      addedPartitions: [{ table: 'public.pay_2', partitionOf: 'public.pay' }],
      removedPartitions: [],
      hasChanges: true,
    });
    // Partitions alone changing is a change.
    expect(diffSnapshots(snap([parent(['public.pay_1'])]), snap([parent([])]))).toMatchObject({
      removedPartitions: [{ table: 'public.pay_1', partitionOf: 'public.pay' }],
      hasChanges: true,
    });
  });
});

describe('snapshotFingerprint', () => {
  it('does not change with estimates or the derived unique keys, so tables stored before they existed keep their fingerprint', () => {
    const t = tableOf([col('id', 'integer', { nullable: false })], { primaryKey: { name: 't_pkey', columns: ['id'] } });
    const { rowEstimate: _r, ...stored } = t;
    const live = { ...t, rowEstimate: { rows: 12, source: 'count' as const }, estimatedRows: 12, uniqueKeys: uniqueKeysOf(t) };
    expect(snapshotFingerprint(snap([live]))).toBe(snapshotFingerprint(snap([stored as typeof t])));
    expect(snapshotFingerprint(snap([{ ...live, primaryKey: null }]))).not.toBe(snapshotFingerprint(snap([live])));
  });
});
