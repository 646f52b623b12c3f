import type { ListItem } from '@microsoft/microsoft-graph-types';
import { describe, expect, it } from 'vitest';
import { deltaStartPath, foldDeltaEntries, isDeletedEntry } from '../../src/graph/delta.ts';

const changed = (id: string, title: string): ListItem => ({ id, fields: { Title: title } }) as ListItem;
const deleted = (id: string): ListItem => ({ id, deleted: { state: 'deleted' } }) as unknown as ListItem;

describe('delta folding', () => {
  it('keeps the last occurrence of each item and moves ids between changed and deleted', () => {
    const c = new Map<string, ListItem>();
    const d = new Set<string>();
    foldDeltaEntries(c, d, [changed('1', 'a'), changed('2', 'b'), changed('1', 'a2'), deleted('3')]);
    foldDeltaEntries(c, d, [deleted('2'), changed('3', 'c-again'), changed('4', 'd')]);
    expect([...c.entries()].map(([id, item]) => [id, (item.fields as { Title: string }).Title])).toEqual([
      ['1', 'a2'],
      ['3', 'c-again'],
      ['4', 'd'],
    ]);
    expect([...d]).toEqual(['2']);
    expect(isDeletedEntry(deleted('9'))).toBe(true);
    expect(isDeletedEntry({ id: '9', '@removed': { reason: 'deleted' } } as unknown as ListItem)).toBe(true);
  });

  it('builds the first request for enumeration, token=latest, a token and a stored deltaLink', () => {
    expect(deltaStartPath('h,1,2', 'L', undefined)).toBe('/sites/h,1,2/lists/L/items/delta?$expand=fields');
    expect(deltaStartPath('h,1,2', 'L', 'latest')).toBe('/sites/h,1,2/lists/L/items/delta?token=latest&$expand=fields');
    expect(deltaStartPath('s', 'L', 'a b', { fields: ['Title', 'Key'] })).toBe(
      '/sites/s/lists/L/items/delta?token=a%20b&$expand=fields(%24select%3DTitle%2CKey)',
    );
    const link = 'http://127.0.0.1:9/v1.0/sites/s/lists/L/items/delta?token=abc';
    expect(deltaStartPath('s', 'L', link)).toBe(link);
  });
});
