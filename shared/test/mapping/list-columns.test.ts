import { describe, expect, it } from 'vitest';
import { columnDefinitionsFor, keyColumnDefinition } from '../../src/mapping/columns.ts';
import { proposeDefaultMappings, proposeMappings } from '../../src/mapping/defaults.ts';
import { describeListColumn, listColumnsFor } from '../../src/mapping/list-columns.ts';
import { col, mapping, tableOf } from './fixtures.ts';

const table = tableOf(
  [
    col('id', 'integer', { nullable: false }),
    col('amount', 'numeric', { numericPrecision: 12, numericScale: 3 }),
    col('ratio', 'numeric'),
    col('due', 'date'),
    col('seen_at', 'timestamptz'),
    col('status', 'enum', { enumValues: ['draft', 'active', 'retired'] }),
    col('code', 'text', { maxLength: 40 }),
    col('body', 'text'),
    col('site', 'text', { maxLength: 300 }),
    col('password_hash', 'text'),
    col('api_token', 'text', { maxLength: 64 }),
  ],
  { primaryKey: { name: 't_pkey', columns: ['id'] } },
);

describe('listColumnsFor: the list column each mapping produces, as provisioning creates it', () => {
  it('shows the effective options of the default mapping', () => {
    const mappings = proposeDefaultMappings(table);
    const views = new Map(listColumnsFor(mappings, table).map((v) => [v!.name, v!]));
    // 'id' is SharePoint's own field name, so the list column is id_2.
    expect(views.get('id_2')).toMatchObject({ type: 'number', decimalPlaces: 0, displayName: 'id', indexed: false, hidden: false });
    expect(views.get('amount')).toMatchObject({ type: 'number', decimalPlaces: 3 });
    expect(views.get('ratio')).toMatchObject({ type: 'number', decimalPlaces: 'automatic' });
    expect(views.get('due')).toMatchObject({ type: 'dateTime', format: 'dateOnly' });
    expect(views.get('seen_at')).toMatchObject({ type: 'dateTime', format: 'dateTime' });
    expect(views.get('status')).toMatchObject({ type: 'choice', choices: ['draft', 'active', 'retired'], allowTextEntry: false });
    expect(views.get('code')).toMatchObject({ type: 'text', maxLength: 40, allowMultipleLines: false, displayName: 'code' });
    expect(views.get('body')).toEqual({
      name: 'body',
      displayName: 'body',
      type: 'note',
      allowMultipleLines: true,
      indexed: false,
      hidden: false,
      required: false,
      readOnly: false,
      enforceUniqueValues: false,
    });
    // varchar(300) does not fit a single line of text.
    expect(views.get('site')).toMatchObject({ type: 'note' });
  });

  it('follows converter options: decimals, date format, choices, maxLength, indexed, display name', () => {
    const mappings = [
      mapping('amount', 'number', { converterOptions: { decimalPlaces: 1 } }),
      mapping('ratio', 'currency', { converterOptions: { locale: 'de-de' } }),
      mapping('seen_at', 'dateTime', { converterOptions: { format: 'dateOnly' } }),
      mapping('code', 'choice', { converterOptions: { choices: ['A', 'B'], allowTextEntry: true } }),
      mapping('body', 'text', { targetColumn: 'Short', converterOptions: { maxLength: 80, indexed: true, displayName: 'Short body' } }),
      mapping('site', 'note', { converterOptions: { indexed: true } }),
      mapping('status', 'text', { targetColumn: 'Title' }),
      mapping('gone', 'text'),
    ];
    const [amount, ratio, seen, code, body, site, title, gone] = listColumnsFor(mappings, table);
    expect(amount).toMatchObject({ decimalPlaces: 1 });
    expect(ratio).toMatchObject({ type: 'currency', locale: 'de-de' });
    expect(seen).toMatchObject({ format: 'dateOnly' });
    expect(code).toMatchObject({ type: 'choice', choices: ['A', 'B'], allowTextEntry: true });
    expect(body).toMatchObject({ name: 'Short', displayName: 'Short body', type: 'text', maxLength: 80, indexed: true });
    // SharePoint cannot index multiple lines of text, so provisioning does not ask for it.
    expect(site).toMatchObject({ type: 'note', indexed: false });
    expect(title).toMatchObject({ name: 'Title', type: 'text', maxLength: 255, required: true });
    expect(gone).toBeNull();
  });

  it('describes exactly the definitions provisioning sends', () => {
    const mappings = proposeDefaultMappings(table, { includeSensitive: true });
    expect(listColumnsFor(mappings, table)).toEqual(columnDefinitionsFor(mappings, table).map(describeListColumn));
  });

  it('describes the key column as hidden, indexed and unique', () => {
    expect(describeListColumn(keyColumnDefinition())).toEqual({
      name: 'SyncBridgeKey',
      displayName: 'SyncBridge Key',
      type: 'text',
      allowMultipleLines: false,
      maxLength: 255,
      indexed: true,
      hidden: true,
      enforceUniqueValues: true,
      required: false,
      readOnly: false,
    });
  });
});

describe('describeListColumn on what Graph returns', () => {
  it('reads the options Graph reports', () => {
    const graph = {
      name: 'amount',
      displayName: 'amount',
      indexed: false,
      hidden: false,
      required: false,
      readOnly: false,
      enforceUniqueValues: false,
      number: { decimalPlaces: 'three', displayAs: 'number', maximum: 1.7e308, minimum: -1.7e308 },
    };
    expect(describeListColumn(graph)).toMatchObject({ type: 'number', decimalPlaces: 3 });
    const note = describeListColumn({ name: 'n', text: { allowMultipleLines: true, maxLength: 255, linesForEditing: 6 } });
    expect(note).toMatchObject({ type: 'note', allowMultipleLines: true });
    expect(note).not.toHaveProperty('maxLength');
    expect(describeListColumn({ name: 'p', personOrGroup: {} })).toMatchObject({ type: 'personOrGroup' });
    expect(describeListColumn({ name: 'x' })).toMatchObject({ type: 'unknown' });
  });
});

describe('proposeMappings and sensitive columns', () => {
  it('flags sensitive columns and leaves them out by default', () => {
    const proposal = proposeMappings(table);
    expect(proposal.items.map((i) => i.mapping.sourceColumn)).not.toContain('password_hash');
    expect(proposal.items.map((i) => i.mapping.sourceColumn)).not.toContain('api_token');
    expect(proposal.items.every((i) => i.warnings.length === 0)).toBe(true);
    expect(proposal.sensitive).toEqual([
      { sourceColumn: 'password_hash', reason: expect.stringContaining('password'), key: false, proposed: false },
      { sourceColumn: 'api_token', reason: expect.stringContaining('token'), key: false, proposed: false },
    ]);
    expect(proposeDefaultMappings(table).map((m) => m.sourceColumn)).toEqual(proposal.items.map((i) => i.mapping.sourceColumn));
  });

  it('proposes opted-in sensitive columns push-only with a warning', () => {
    const some = proposeMappings(table, { includeSensitive: ['api_token'] });
    const token = some.items.find((i) => i.mapping.sourceColumn === 'api_token')!;
    expect(token.mapping.direction).toBe('push');
    expect(token.warnings).toEqual([expect.stringContaining('opted in')]);
    expect(some.items.some((i) => i.mapping.sourceColumn === 'password_hash')).toBe(false);
    expect(some.sensitive.map((s) => [s.sourceColumn, s.proposed])).toEqual([
      ['password_hash', false],
      ['api_token', true],
    ]);

    const all = proposeMappings(table, { includeSensitive: true });
    expect(all.items.filter((i) => i.warnings.length).map((i) => i.mapping.sourceColumn)).toEqual(['password_hash', 'api_token']);
    // exclude wins over the opt-in.
    expect(proposeMappings(table, { includeSensitive: true, exclude: ['password_hash'] }).sensitive.map((s) => s.sourceColumn)).toEqual(['api_token']);
  });

  it('keeps a sensitive key column, flagged', () => {
    const keyed = tableOf([col('ssn', 'text', { maxLength: 11 }), col('name', 'text')], { primaryKey: { name: 'p', columns: ['ssn'] } });
    const proposal = proposeMappings(keyed);
    expect(proposal.items.map((i) => i.mapping.sourceColumn)).toEqual(['ssn', 'name']);
    expect(proposal.items[0]!.warnings).toEqual([expect.stringContaining('part of the key')]);
    expect(proposal.sensitive).toEqual([{ sourceColumn: 'ssn', reason: expect.any(String), key: true, proposed: true }]);
    // The definition's key decides, not the primary key.
    const byUnique = proposeMappings(tableOf([col('id', 'integer'), col('api_key', 'text', { maxLength: 40 })]), { keyColumns: ['api_key'] });
    expect(byUnique.items.map((i) => i.mapping.sourceColumn)).toEqual(['id', 'api_key']);
  });
});
