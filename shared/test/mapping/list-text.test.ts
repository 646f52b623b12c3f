import { describe, expect, it } from 'vitest';
import { sourceTextFromList } from '../../src/mapping/list-text.ts';

describe('sourceTextFromList: empty list text back into the table', () => {
  it('gives a NOT NULL column an empty string, never NULL', () => {
    for (const empty of [null, undefined, '']) expect(sourceTextFromList(empty, { nullable: false })).toBe('');
  });
  it('gives a nullable column NULL for an empty list value', () => {
    for (const empty of [null, undefined, '']) expect(sourceTextFromList(empty, { nullable: true })).toBeNull();
  });
  it('keeps any other text as it is, blanks included', () => {
    expect(sourceTextFromList(' ', { nullable: true })).toBe(' ');
    expect(sourceTextFromList("O'Brien", { nullable: false })).toBe("O'Brien");
  });
});
