import { describe, expect, it } from 'vitest';
import { convertRow } from '../../src/mapping/convert.ts';
import { itemToRow } from '../../src/mapping/ingest.ts';
import { fieldNameOf, syncedKeyOf, type Lookups } from '../../src/mapping/lookups.ts';
import type { FieldMappingSpec } from '../../src/mapping/types.ts';
import { validateMappings } from '../../src/mapping/validate.ts';
import { col, mapping, tableOf } from './fixtures.ts';

const both = (sourceColumn: string, targetType: FieldMappingSpec['targetType'], converterOptions: Record<string, unknown> = {}) =>
  mapping(sourceColumn, targetType, { direction: 'both', converterOptions, targetColumn: sourceColumn.replace(/_/g, '') });

const owner = col('owner', 'text');
const category = col('category_id', 'integer');
const parent = col('parent_id', 'bigint');
const tags = col('tags', 'array', { dataType: 'text[]', elementFamily: 'text' });
const labels = col('labels', 'jsonb');
const reviewers = col('reviewers', 'array', { dataType: 'text[]', elementFamily: 'text' });
const related = col('related_ids', 'array', { dataType: 'integer[]', elementFamily: 'integer' });
const categories = col('category_ids', 'jsonb');
const table = tableOf([owner, category, parent, tags, labels, reviewers, related, categories]);

const CATEGORIES = '5f0a3c1e-8d2b-4c6e-9a7f-1b2c3d4e5f60';
const lookups: Lookups = {
  users: {
    byEmail: new Map([
      ['ada@contoso.example', 7],
      ['grace@contoso.example', 9],
    ]),
    byName: new Map([
      ['Ada Lovelace', [7]],
      ['Grace Hopper', [9]],
      ['Sam Smith', [11, 12]],
    ]),
    byId: new Map([
      [7, { email: 'ada@contoso.example', name: 'Ada Lovelace' }],
      [9, { email: 'grace@contoso.example', name: 'Grace Hopper' }],
      [11, { email: null, name: 'Sam Smith' }],
    ]),
  },
  synced: new Map([[CATEGORIES, { itemByKey: new Map([[syncedKeyOf(3, 'integer')!, 41]]), keyByItem: new Map([[41, syncedKeyOf(3, 'integer')!]]) }]]),
};

const person = both('owner', 'person');
const personByName = both('owner', 'person', { personBy: 'displayName' });
const syncedLookup = both('category_id', 'lookup', { lookupDefinitionId: CATEGORIES });
const idLookup = both('parent_id', 'lookup');
const multi = both('tags', 'multiChoice', { choices: ['red', 'green', 'blue'] });
const multiJson = both('labels', 'multiChoice', { choices: ['a', 'b'], allowTextEntry: true });

const push = (row: Record<string, unknown>, m: FieldMappingSpec, l: Lookups | undefined = lookups) => convertRow(row, [m], table, l);
const ingest = (fields: Record<string, unknown>, m: FieldMappingSpec, l: Lookups | undefined = lookups) => itemToRow(fields, [m], table, l);

describe('person columns: e-mail or display name <-> the site user lookup id', () => {
  it('writes the lookup id of the user with that e-mail (any case), in the field Graph names <Column>LookupId', () => {
    expect(fieldNameOf(person)).toBe('ownerLookupId');
    expect(push({ owner: 'Ada@Contoso.Example' }, person)).toEqual({ ok: true, fields: { ownerLookupId: 7 } });
    expect(push({ owner: null }, person)).toEqual({ ok: true, fields: { ownerLookupId: null } });
  });

  it('refuses an unknown e-mail, an ambiguous display name, and works only with the users loaded', () => {
    expect(push({ owner: 'nobody@contoso.example' }, person)).toMatchObject({
      ok: false,
      column: 'owner',
      reason: expect.stringContaining('no user with the e-mail'),
    });
    expect(push({ owner: 'Sam Smith' }, personByName)).toMatchObject({ ok: false, reason: expect.stringContaining('2 users of the site are named') });
    expect(push({ owner: 'Grace Hopper' }, personByName)).toEqual({ ok: true, fields: { ownerLookupId: 9 } });
    expect(push({ owner: 'ada@contoso.example' }, person, {})).toMatchObject({ ok: false, reason: expect.stringContaining('not loaded') });
  });

  it('reads a lookup id back as the e-mail (or name), and refuses a user without one', () => {
    expect(ingest({ ownerLookupId: '9' }, person)).toMatchObject({ ok: true, write: { owner: 'grace@contoso.example' } });
    expect(ingest({ ownerLookupId: '7' }, personByName)).toMatchObject({ ok: true, write: { owner: 'Ada Lovelace' } });
    expect(ingest({}, person)).toMatchObject({ ok: true, write: { owner: null } });
    expect(ingest({ ownerLookupId: '11' }, person)).toMatchObject({ ok: false, reason: expect.stringContaining('is not a user of the site with an e-mail') });
    expect(ingest({ ownerLookupId: '404' }, person)).toMatchObject({ ok: false });
    expect(ingest({ ownerLookupId: 'seven' }, person)).toMatchObject({ ok: false, reason: expect.stringContaining('expected a lookup id') });
  });
});

describe('lookup columns: an item id, or the key of a row another definition synced', () => {
  it('writes a foreign key as the list item of the referenced row, and reads it back as the key', () => {
    expect(push({ category_id: 3 }, syncedLookup)).toEqual({ ok: true, fields: { categoryidLookupId: 41 } });
    expect(push({ category_id: 4 }, syncedLookup)).toMatchObject({ ok: false, reason: expect.stringContaining('has no list item (yet)') });
    expect(ingest({ categoryidLookupId: '41' }, syncedLookup)).toMatchObject({ ok: true, write: { category_id: 3 } });
    expect(ingest({ categoryidLookupId: '42' }, syncedLookup)).toMatchObject({ ok: false, reason: expect.stringContaining('not a row synced') });
  });

  it('passes an integer item id through both ways, refusing what is no item id', () => {
    expect(push({ parent_id: '12' }, idLookup)).toEqual({ ok: true, fields: { parentidLookupId: 12 } });
    expect(push({ parent_id: '0' }, idLookup)).toMatchObject({ ok: false, reason: expect.stringContaining('not a list item id') });
    expect(ingest({ parentidLookupId: '12' }, idLookup)).toMatchObject({ ok: true, write: { parent_id: '12' } });
  });
});

describe('multi-choice columns: an array (or JSON array) of texts <-> a collection field', () => {
  it('writes the texts with the collection annotation, an empty array as an empty field', () => {
    expect(push({ tags: ['red', 'blue'] }, multi)).toEqual({ ok: true, fields: { tags: ['red', 'blue'], 'tags@odata.type': 'Collection(Edm.String)' } });
    expect(push({ tags: [] }, multi)).toEqual({ ok: true, fields: { tags: null } });
    expect(push({ labels: ['a', 'free text'] }, multiJson)).toMatchObject({ ok: true, fields: { labels: ['a', 'free text'] } });
  });

  it('refuses a value that is no choice, a repeated choice, and elements that are not text', () => {
    expect(push({ tags: ['red', 'purple'] }, multi)).toMatchObject({ ok: false, reason: expect.stringContaining('"purple" is not one of the choices') });
    expect(push({ tags: ['red', 'red'] }, multi)).toMatchObject({ ok: false, reason: expect.stringContaining('twice') });
    expect(push({ labels: [1, 2] }, multiJson)).toMatchObject({ ok: false, reason: expect.stringContaining('takes texts') });
  });

  it('reads the collection back into the array (or the JSON array), and round-trips it unchanged', () => {
    const back = ingest({ tags: ['green', 'red'] }, multi);
    expect(back).toMatchObject({ ok: true, driver: { tags: ['green', 'red'] } });
    if (!back.ok) return;
    expect(push(back.driver, multi)).toMatchObject({ ok: true, fields: { tags: ['green', 'red'] } });
    expect(ingest({ labels: ['b'] }, multiJson)).toMatchObject({ ok: true, driver: { labels: ['b'] } });
    expect(ingest({ tags: [] }, multi)).toMatchObject({ ok: true, write: { tags: null } });
    expect(ingest({ tags: 'red' }, multi)).toMatchObject({ ok: false, reason: expect.stringContaining('expected an array of texts') });
    expect(ingest({ tags: ['purple'] }, multi)).toMatchObject({ ok: false });
  });
});

describe('multi-valued person and lookup columns: an array (or JSON array) <-> a collection of lookup ids', () => {
  const people = both('reviewers', 'person', { multipleValues: true });
  const items = both('related_ids', 'lookup', { multipleValues: true });
  const syncedMany = both('category_ids', 'lookup', { multipleValues: true, lookupDefinitionId: CATEGORIES });

  it('writes the ids as Graph takes a collection: <Column>LookupId with its Collection(Edm.Int32) annotation; empty clears', () => {
    expect(push({ reviewers: ['ada@contoso.example', 'Grace@Contoso.Example'] }, people)).toEqual({
      ok: true,
      fields: { reviewersLookupId: [7, 9], 'reviewersLookupId@odata.type': 'Collection(Edm.Int32)' },
    });
    expect(push({ related_ids: [12, 3] }, items)).toMatchObject({ ok: true, fields: { relatedidsLookupId: [12, 3] } });
    expect(push({ category_ids: '[3]' }, syncedMany)).toMatchObject({ ok: true, fields: { categoryidsLookupId: [41] } });
    expect(push({ reviewers: [] }, people)).toEqual({ ok: true, fields: { reviewersLookupId: null } });
    expect(push({ reviewers: null }, people)).toEqual({ ok: true, fields: { reviewersLookupId: null } });
  });

  it('refuses an unknown element, a repeated one, a null element and a value that is no array', () => {
    expect(push({ reviewers: ['ada@contoso.example', 'nobody@contoso.example'] }, people)).toMatchObject({
      ok: false,
      column: 'reviewers',
      reason: expect.stringContaining('no user with the e-mail "nobody@contoso.example"'),
    });
    expect(push({ reviewers: ['ada@contoso.example', 'ADA@contoso.example'] }, people)).toMatchObject({
      ok: false,
      reason: expect.stringContaining('same person'),
    });
    expect(push({ related_ids: [1, null] }, items)).toMatchObject({ ok: false, reason: expect.stringContaining('null') });
    expect(push({ category_ids: '{"a":1}' }, syncedMany)).toMatchObject({ ok: false, reason: expect.stringContaining('takes an array') });
    expect(push({ category_ids: '[4]' }, syncedMany)).toMatchObject({ ok: false, reason: expect.stringContaining('has no list item') });
  });

  it('reads the collection Graph returns (<Column>: [{ LookupId, LookupValue }]) back into the array, and round-trips it', () => {
    const read = {
      reviewers: [
        { LookupId: 9, LookupValue: 'Grace Hopper', Email: 'grace@contoso.example' },
        { LookupId: 7, LookupValue: 'Ada Lovelace' },
      ],
    };
    const back = ingest(read, people);
    expect(back).toMatchObject({ ok: true, driver: { reviewers: ['grace@contoso.example', 'ada@contoso.example'] } });
    if (!back.ok) return;
    expect(push(back.driver, people)).toMatchObject({ ok: true, fields: { reviewersLookupId: [9, 7] } });
    expect(ingest({ relatedids: [{ LookupId: 12, LookupValue: 'x' }] }, items)).toMatchObject({ ok: true, driver: { related_ids: [12] } });
    expect(ingest({ categoryids: [{ LookupId: 41, LookupValue: 'Three' }] }, syncedMany)).toMatchObject({ ok: true, driver: { category_ids: [3] } });
    // The written shape reads back too (a page of items SyncBridge itself wrote).
    expect(ingest({ reviewersLookupId: ['7'] }, people)).toMatchObject({ ok: true, driver: { reviewers: ['ada@contoso.example'] } });
    expect(ingest({ reviewers: [] }, people)).toMatchObject({ ok: true, write: { reviewers: null } });
    expect(ingest({ reviewers: [{ LookupId: 11, LookupValue: 'Sam Smith' }] }, people)).toMatchObject({ ok: false, reason: expect.stringContaining('e-mail') });
    expect(ingest({ reviewers: 'ada' }, people)).toMatchObject({ ok: false, reason: expect.stringContaining('expected a collection') });
  });

  it('validates that multipleValues and the column agree', () => {
    const issues = validateMappings(table, [
      mapping('owner', 'person', { targetColumn: 'Owner', converterOptions: { multipleValues: true } }),
      mapping('reviewers', 'person', { targetColumn: 'Reviewers' }),
      mapping('related_ids', 'lookup', { targetColumn: 'Related', converterOptions: { multipleValues: 'yes' } }),
    ]);
    expect(issues.map((i) => `${i.field}: ${i.message}`)).toEqual([
      expect.stringMatching(/^mappings\[0\]\.converterOptions\.multipleValues: .*holds one value/),
      expect.stringMatching(/^mappings\[1\]\.converterOptions\.multipleValues: .*holds several values/),
      'mappings[2].converterOptions.multipleValues: multipleValues must be true or false',
    ]);
  });
});

describe('validating person, lookup and multi-choice mappings', () => {
  it('names what is missing or wrong', () => {
    const issues = validateMappings(tableOf([owner, category, tags]), [
      mapping('owner', 'lookup', { targetColumn: 'Related' }),
      mapping('category_id', 'lookup', { targetColumn: 'Category', converterOptions: { lookupDefinitionId: 'not-a-uuid' } }),
      mapping('tags', 'multiChoice', { targetColumn: 'Tags' }),
    ]);
    expect(issues.map((i) => i.field)).toEqual([
      'mappings[0].targetType',
      'mappings[1].converterOptions.lookupDefinitionId',
      'mappings[2].converterOptions.choices',
    ]);
    expect(validateMappings(tableOf([owner]), [mapping('owner', 'person', { targetColumn: 'Owner', converterOptions: { personBy: 'phone' } })])).toEqual([
      { field: 'mappings[0].converterOptions.personBy', message: 'personBy must be "email" or "displayName"' },
    ]);
  });
});
