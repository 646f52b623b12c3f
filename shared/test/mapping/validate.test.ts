import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { columnDefinitionsFor, keyColumnDefinition } from '../../src/mapping/columns.ts';
import { proposeDefaultMappings } from '../../src/mapping/defaults.ts';
import { deriveInternalName, isReservedName, isValidInternalName } from '../../src/mapping/names.ts';
import { validateMappings } from '../../src/mapping/validate.ts';
import { col, mapping, tableOf } from './fixtures.ts';

const table = tableOf([
  col('id', 'integer', { nullable: false }),
  col('code', 'text', { maxLength: 40 }),
  col('body', 'text'),
  col('doc', 'jsonb'),
  col('blob', 'bytea'),
  col('status', 'enum', { enumValues: ['a', 'b'] }),
  col('price', 'numeric', { numericPrecision: 10, numericScale: 2 }),
]);

describe('validateMappings', () => {
  it('accepts a sound set, including Title mapped explicitly', () => {
    const ms = [mapping('code', 'text', { targetColumn: 'Title' }), mapping('body', 'note'), mapping('status', 'choice'), mapping('price', 'currency')];
    expect(validateMappings(table, ms)).toEqual([]);
  });

  it('reports unknown columns, impossible conversions and unbounded text to single-line', () => {
    const issues = validateMappings(table, [
      mapping('nope', 'text'),
      mapping('blob', 'number'),
      mapping('doc', 'boolean'),
      mapping('body', 'text'),
      mapping('code', 'text', { targetColumn: 'Code2', converterOptions: { maxLength: 300 } }),
    ]);
    expect(issues).toEqual([
      { field: 'mappings[0].sourceColumn', message: 'column "nope" does not exist in public.t' },
      { field: 'mappings[1].targetType', message: 'a bytea column cannot convert to number (possible: note, text)' },
      { field: 'mappings[2].targetType', message: 'a jsonb column cannot convert to boolean (possible: note, text, multiChoice, lookup, person)' },
      { field: 'mappings[3].targetType', message: expect.stringContaining('map to "note"') },
      { field: 'mappings[4].converterOptions.maxLength', message: expect.stringContaining('at most 255') },
    ]);
    // An explicit maxLength accepts that longer values quarantine (e.g. text mapped to Title).
    expect(validateMappings(table, [mapping('body', 'text', { targetColumn: 'Title', converterOptions: { maxLength: 255 } })])).toEqual([]);
  });

  it('reports reserved, invalid and duplicate target names', () => {
    const issues = validateMappings(table, [
      mapping('id', 'number', { targetColumn: 'ID' }),
      mapping('code', 'text', { targetColumn: 'modified' }),
      mapping('body', 'note', { targetColumn: 'Has Space' }),
      mapping('doc', 'note', { targetColumn: '1abc' }),
      mapping('blob', 'note', { targetColumn: 'x'.repeat(33) }),
      mapping('status', 'choice', { targetColumn: 'syncbridgekey' }),
      mapping('price', 'number', { targetColumn: 'Code' }),
      mapping('price', 'number', { targetColumn: 'CODE' }),
      mapping('body', 'note', { targetColumn: 'Title' }),
    ]);
    expect(issues.map((i) => i.field)).toEqual([
      'mappings[0].targetColumn',
      'mappings[1].targetColumn',
      'mappings[2].targetColumn',
      'mappings[3].targetColumn',
      'mappings[4].targetColumn',
      'mappings[5].targetColumn',
      'mappings[7].sourceColumn',
      'mappings[7].targetColumn',
      'mappings[8].sourceColumn',
      'mappings[8].targetType',
    ]);
    expect(issues[0]?.message).toBe('"ID" is a reserved SharePoint field name');
  });

  it('checks transforms, choices and options', () => {
    const issues = validateMappings(table, [
      mapping('code', 'text', { transforms: [{ op: 'regex_replace', pattern: '(', replacement: '' }, { op: 'reverse' } as never] }),
      mapping('price', 'number', { transforms: [{ op: 'trim' }], converterOptions: { decimalPlaces: 9 } }),
      mapping('body', 'choice'),
      mapping('id', 'number', { targetColumn: 'RowId', converterOptions: { rounding: 'up' } }),
      mapping('status', 'choice', { converterOptions: { choices: ['a', 'a'] }, targetColumn: 'st' }),
    ]);
    expect(issues.map((i) => i.field)).toEqual([
      'mappings[0].transforms[0].pattern',
      'mappings[0].transforms[1]',
      'mappings[1].converterOptions.decimalPlaces',
      'mappings[1].transforms',
      'mappings[2].converterOptions.choices',
      'mappings[3].converterOptions.rounding',
      'mappings[4].converterOptions.choices',
    ]);
  });
});

describe('proposeDefaultMappings', () => {
  it('maps every column but the excluded ones, with valid unique names', () => {
    const ms = proposeDefaultMappings(table, { exclude: ['blob'] });
    expect(ms.map((m) => [m.sourceColumn, m.targetColumn, m.targetType])).toEqual([
      ['id', 'id_2', 'number'],
      ['code', 'code', 'text'],
      ['body', 'body', 'note'],
      ['doc', 'doc', 'note'],
      ['status', 'status', 'choice'],
      ['price', 'price', 'number'],
    ]);
    expect(validateMappings(table, ms)).toEqual([]);
  });
});

describe('deriveInternalName', () => {
  it('always yields valid, unreserved, case-insensitively unique names (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.oneof(fc.string({ maxLength: 50 }), fc.constantFrom('ID', 'Title', 'title', 'Order', 'Ünïcödé', '__x', '9lives', 'a'.repeat(40))), {
          maxLength: 30,
        }),
        (names) => {
          const taken = new Set<string>();
          const out = names.map((n) => deriveInternalName(n, taken));
          for (const name of out) {
            expect(isValidInternalName(name)).toBe(true);
            expect(isReservedName(name)).toBe(false);
          }
          expect(new Set(out.map((n) => n.toLowerCase())).size).toBe(out.length);
        },
      ),
    );
    const taken = new Set<string>();
    expect(['Order Date', 'Ünïcödé', '9lives', 'ID', '日本'].map((n) => deriveInternalName(n, taken))).toEqual([
      'Order_Date',
      'Unicode',
      'c9lives',
      'ID_2',
      'Column',
    ]);
  });
});

describe('column definitions', () => {
  it('describes each target type as Graph expects', () => {
    const ms = [
      mapping('code', 'text', { targetColumn: 'Title' }),
      mapping('code', 'text', { targetColumn: 'Code', converterOptions: { displayName: 'Order code', indexed: true } }),
      mapping('body', 'note'),
      mapping('status', 'choice'),
      mapping('price', 'currency', { converterOptions: { locale: 'de-de' } }),
      mapping('price', 'number', { targetColumn: 'Price2', converterOptions: { decimalPlaces: 0 } }),
      mapping('code', 'hyperlink', { targetColumn: 'Link' }),
    ];
    expect(columnDefinitionsFor(ms, table)).toEqual([
      { name: 'Code', displayName: 'Order code', indexed: true, text: { allowMultipleLines: false, maxLength: 40 } },
      { name: 'body', displayName: 'body', text: { allowMultipleLines: true, textType: 'plain', appendChangesToExistingText: false, linesForEditing: 6 } },
      { name: 'status', displayName: 'status', choice: { choices: ['a', 'b'], allowTextEntry: false, displayAs: 'dropDownMenu' } },
      { name: 'price', displayName: 'price', currency: { locale: 'de-de' } },
      { name: 'Price2', displayName: 'price', number: { decimalPlaces: 'none', displayAs: 'number' } },
      { name: 'Link', displayName: 'code', hyperlinkOrPicture: { isPicture: false } },
    ]);
  });

  it('defines the hidden, indexed, unique key column', () => {
    expect(keyColumnDefinition()).toMatchObject({
      name: 'SyncBridgeKey',
      hidden: true,
      indexed: true,
      enforceUniqueValues: true,
      text: { allowMultipleLines: false, maxLength: 255 },
    });
  });
});
