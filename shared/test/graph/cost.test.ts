import { describe, expect, it } from 'vitest';
import { resourceUnitCost } from '../../src/graph/cost.ts';

const list = '/sites/contoso.sharepoint.com,1,2/lists/L1';

describe('resource-unit cost (Microsoft published costs)', () => {
  it('charges 2 RU for create, update and delete', () => {
    expect(resourceUnitCost('POST', `${list}/items`)).toBe(2);
    expect(resourceUnitCost('PATCH', `${list}/items/7/fields`)).toBe(2);
    expect(resourceUnitCost('DELETE', `${list}/items/7`)).toBe(2);
  });

  it('charges 2 RU for multi-item queries and 1 RU for single-item gets', () => {
    expect(resourceUnitCost('GET', `${list}/items?$expand=fields&$top=5000`)).toBe(2);
    expect(resourceUnitCost('GET', `/sites?search=contoso`)).toBe(2);
    expect(resourceUnitCost('GET', `${list}/columns`)).toBe(2);
    expect(resourceUnitCost('GET', `${list}/items/7?$expand=fields`)).toBe(1);
    expect(resourceUnitCost('GET', `/sites/root`)).toBe(1);
    expect(resourceUnitCost('GET', `http://127.0.0.1:1/v1.0${list}/items?$skiptoken=abc`)).toBe(2);
  });

  it('charges delta 1 RU with a token and 2 RU without one', () => {
    expect(resourceUnitCost('GET', `${list}/items/delta?$expand=fields`)).toBe(2);
    expect(resourceUnitCost('GET', `${list}/items/delta?token=latest`)).toBe(1);
    expect(resourceUnitCost('GET', `https://graph.microsoft.com/v1.0${list}/items/delta?token=MzslMjM0OzE`)).toBe(1);
  });

  it('charges 5 RU for permission operations', () => {
    expect(resourceUnitCost('GET', `${list}/items/7?$expand=permissions`)).toBe(5);
  });
});
