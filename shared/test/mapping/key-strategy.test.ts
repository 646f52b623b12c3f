import { describe, expect, it } from 'vitest';
import { validateCursor, validateKeyStrategy } from '../../src/mapping/key-strategy.ts';
import { uniqueKeysOf } from '../../src/sources/unique-keys.ts';
import { col, tableOf } from './fixtures.ts';

const table = tableOf(
  [
    col('id', 'bigint', { nullable: false }),
    col('tenant', 'text', { nullable: false }),
    col('email', 'text', { nullable: true }),
    col('sku', 'text', { nullable: false }),
    col('line', 'integer', { nullable: false }),
    col('region', 'text', { nullable: false }),
    col('score', 'double', { nullable: false }),
    col('doc', 'jsonb', { nullable: false }),
    col('updated_at', 'timestamptz'),
    col('version', 'bigint', { nullable: false }),
    col('name', 'text'),
  ],
  {
    primaryKey: { name: 't_pkey', columns: ['id'] },
    uniqueConstraints: [
      { name: 't_tenant_sku_key', columns: ['tenant', 'sku'] },
      { name: 't_email_key', columns: ['email'] },
    ],
    indexes: [
      { name: 't_pkey', columns: ['id'], unique: true, primary: true, definition: 'CREATE UNIQUE INDEX t_pkey ON public.t USING btree (id)', partial: false },
      {
        name: 't_region_partial',
        columns: ['region'],
        unique: true,
        primary: false,
        definition: 'CREATE UNIQUE INDEX t_region_partial ON public.t USING btree (region) WHERE (id > 0)',
      },
      { name: 't_line_region', columns: ['line', 'region'], unique: true, primary: false, definition: 'CREATE UNIQUE INDEX ...', partial: false },
      {
        name: 't_lower_sku',
        columns: [],
        unique: true,
        primary: false,
        definition: 'CREATE UNIQUE INDEX ... (lower(sku))',
        partial: false,
        hasExpressions: true,
      },
    ],
  },
);

const fields = (issues: Array<{ field: string }>) => issues.map((i) => i.field);

describe('validateKeyStrategy', () => {
  it('pk: exactly the primary key columns', () => {
    expect(validateKeyStrategy(table, 'pk', ['id'])).toEqual([]);
    expect(validateKeyStrategy(table, 'pk', ['sku'])).toEqual([{ field: 'keyColumns', message: 'the primary key is (id), not (sku)' }]);
    expect(fields(validateKeyStrategy(tableOf([col('a', 'integer', { nullable: false })]), 'pk', ['a']))).toEqual(['keyStrategy']);
  });

  it('unique: a unique constraint or non-partial unique index on exactly those columns', () => {
    expect(validateKeyStrategy(table, 'unique', ['sku', 'tenant'])).toEqual([]);
    expect(validateKeyStrategy(table, 'unique', ['line', 'region'])).toEqual([]);
    expect(validateKeyStrategy(table, 'unique', ['id'])).toEqual([]);
    // A partial unique index leaves other rows free to repeat the value.
    expect(validateKeyStrategy(table, 'unique', ['region'])).toMatchObject([{ field: 'keyColumns', message: expect.stringContaining('no unique constraint') }]);
    // Unique but nullable: many rows may hold NULL.
    expect(validateKeyStrategy(table, 'unique', ['email'])).toMatchObject([{ message: expect.stringContaining('"email" is nullable') }]);
  });

  it('composite: two or more NOT NULL columns containing a unique set', () => {
    expect(validateKeyStrategy(table, 'composite', ['tenant', 'sku'])).toEqual([]);
    expect(validateKeyStrategy(table, 'composite', ['tenant', 'sku', 'line'])).toEqual([]);
    expect(validateKeyStrategy(table, 'composite', ['tenant', 'line'])).toMatchObject([{ message: expect.stringContaining('not guaranteed unique') }]);
    expect(validateKeyStrategy(table, 'composite', ['id'])).toMatchObject([{ message: expect.stringContaining('at least two columns') }]);
    expect(validateKeyStrategy(table, 'composite', ['id', 'name'])).toMatchObject([{ message: expect.stringContaining('"name" is nullable') }]);
  });

  it('refuses unknown, repeated and unsuitable key columns', () => {
    expect(fields(validateKeyStrategy(table, 'composite', ['id', 'id']))).toEqual(['keyColumns']);
    expect(validateKeyStrategy(table, 'composite', ['id', 'ghost'])).toEqual([{ field: 'keyColumns', message: 'column "ghost" does not exist in public.t' }]);
    expect(validateKeyStrategy(table, 'composite', ['id', 'score', 'doc']).map((i) => i.message)).toEqual([
      'column "score" (double precision) cannot be a key column',
      'column "doc" (jsonb) cannot be a key column',
    ]);
    expect(validateKeyStrategy(table, 'pk', [])).toEqual([{ field: 'keyColumns', message: 'at least one key column is required' }]);
  });

  it('accepts as `unique` exactly the sets introspection reports as uniqueKeys', () => {
    const keys = uniqueKeysOf(table);
    expect(keys).toEqual([
      { name: 't_pkey', columns: ['id'], source: 'primary_key' },
      { name: 't_tenant_sku_key', columns: ['tenant', 'sku'], source: 'unique_constraint' },
      { name: 't_email_key', columns: ['email'], source: 'unique_constraint' },
      { name: 't_line_region', columns: ['line', 'region'], source: 'unique_index' },
    ]);
    // email is listed (it is unique) but refused as a key: it is nullable.
    expect(keys.map((k) => validateKeyStrategy(table, 'unique', k.columns).length)).toEqual([0, 0, 1, 0]);
  });

  it('explains why a view has no key', () => {
    const view = tableOf([col('id', 'integer', { nullable: false })], { kind: 'view', name: 'v' });
    expect(validateKeyStrategy(view, 'unique', ['id'])[0]?.message).toContain('a view has no keys');
  });
});

describe('validateCursor', () => {
  it('updated_at needs a timestamp, date or integer version column', () => {
    expect(validateCursor(table, 'updated_at', 'updated_at')).toEqual([]);
    expect(validateCursor(table, 'updated_at', 'version')).toEqual([]);
    expect(validateCursor(table, 'updated_at', 'name')).toMatchObject([{ field: 'cursorColumn', message: expect.stringContaining('cannot be a cursor') }]);
    expect(validateCursor(table, 'updated_at', 'ghost')).toMatchObject([{ field: 'cursorColumn' }]);
    expect(validateCursor(table, 'updated_at', null)).toMatchObject([{ message: 'the updated_at strategy needs a cursor column' }]);
  });

  it('full_scan needs no cursor', () => {
    expect(validateCursor(table, 'full_scan', null)).toEqual([]);
  });

  it('names the columns that could be the cursor, change timestamps first, then version counters, then other dates', () => {
    const films = tableOf(
      [
        col('film_id', 'integer', { nullable: false }),
        col('created_at', 'timestamptz'),
        col('title', 'text'),
        col('release_date', 'date'),
        col('lock_version', 'integer'),
        col('length', 'smallint'),
        col('last_update', 'timestamp', { nullable: false }),
      ],
      { name: 'film' },
    );
    const expected =
      'columns that could be the cursor: "last_update" (timestamp without time zone), "lock_version" (integer), "created_at" (timestamp with time zone), "release_date" (date)';
    expect(validateCursor(films, 'updated_at', 'updated_at')).toEqual([
      { field: 'cursorColumn', message: `column "updated_at" does not exist in public.film; ${expected}` },
    ]);
    expect(validateCursor(films, 'updated_at', 'title')).toEqual([
      { field: 'cursorColumn', message: `column "title" (text) cannot be a cursor: use a timestamp, timestamptz, date or integer version column; ${expected}` },
    ]);
    // Ids and quantities are integers but not versions: never suggested, and full_scan only when nothing fits.
    expect(validateCursor(films, 'updated_at', 'ghost')[0]?.message).not.toMatch(/film_id|length|full_scan/);
  });

  it('suggests cursorStrategy full_scan when the table has no timestamp, date or version column', () => {
    const tags = tableOf([col('id', 'integer', { nullable: false }), col('label', 'text'), col('weight', 'numeric')], { schema: 'shop', name: 'tags' });
    const [issue] = validateCursor(tags, 'updated_at', 'updated_at');
    expect(issue?.field).toBe('cursorColumn');
    expect(issue?.message).toBe(
      'column "updated_at" does not exist in shop.tags; shop.tags has no timestamp, date or version column to use instead: use cursorStrategy: "full_scan" (no cursor column; every run compares all rows by content)',
    );
    expect(validateCursor(tags, 'updated_at', 'label')[0]?.message).toContain('use cursorStrategy: "full_scan"');
  });

  it('lists at most five candidates and says how many more there are', () => {
    const wide = tableOf(Array.from({ length: 8 }, (_, i) => col(`modified_${i}`, 'timestamptz')));
    expect(validateCursor(wide, 'updated_at', 'nope')[0]?.message).toMatch(/"modified_4" \(timestamp with time zone\) and 3 more$/);
  });
});
