import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { convertRow } from '../../src/mapping/convert.ts';
import { applyTransforms, checkTransform, MAX_TRANSFORM_INPUT } from '../../src/mapping/transforms.ts';
import { col, mapping, tableOf } from './fixtures.ts';

const replace = (value: string, pattern: string, replacement: string, flags?: string) =>
  applyTransforms(value, [{ op: 'regex_replace', pattern, replacement, ...(flags === undefined ? {} : { flags }) }]);

describe('regex_replace runs in linear time', () => {
  // On JavaScript's backtracking engine each of these takes exponential time on such input:
  // the old code never returned (the worker's event loop hung on one row).
  const evil = 'a'.repeat(50_000) + '!';
  it.each(['^(a+)+$', '(a|aa)+$', '^(a|a?)+$', '(.*a){12}$', '^(\\w+\\s?)*$'])('%s on 50,000 characters plus "!" returns', (pattern) => {
    const started = performance.now();
    expect(replace(evil, pattern, 'x')).toBe(evil);
    // Loose on purpose: the point is that it returns at all (backtracking would take years).
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('refuses values longer than the input cap, so one transform has a bounded cost', () => {
    expect(replace('a'.repeat(MAX_TRANSFORM_INPUT), 'a', 'b')).toBe('b' + 'a'.repeat(MAX_TRANSFORM_INPUT - 1));
    expect(() => replace('a'.repeat(MAX_TRANSFORM_INPUT + 1), 'a', 'b')).toThrow(/at most 131072/);
    // trim/upper/lower are linear built-ins: no cap.
    expect(applyTransforms(' '.repeat(MAX_TRANSFORM_INPUT + 1), [{ op: 'trim' }])).toBe('');
    // In a sync the row is quarantined with the reason; the batch goes on.
    const table = tableOf([col('body', 'text', { maxLength: null })]);
    const long = [mapping('body', 'note', { transforms: [{ op: 'regex_replace', pattern: 'x', replacement: 'y' }] })];
    expect(convertRow({ body: 'a'.repeat(MAX_TRANSFORM_INPUT + 1) }, long, table)).toMatchObject({
      ok: false,
      column: 'body',
      reason: expect.stringContaining('regex_replace processes at most'),
    });
  });
});

describe('regex_replace means what the JavaScript pattern means', () => {
  // Each case runs on the linear engine and on String.prototype.replace: the results must agree.
  const cases: Array<[pattern: string, flags: string, replacement: string, input: string]> = [
    ['\\s+', 'g', '-', 'a \u00a0b\t\u2003c\r\n\u2028d\ufeffe'],
    ['\\S+', 'g', '<$&>', 'ab\u00a0cd  e'],
    ['^\\s+|\\s+$', 'g', '', '\u00a0 padded \u3000'],
    ['.', 'g', '_', 'a\rb\nc\u2028d'],
    ['.', 'gs', '_', 'a\rb\nc'],
    ['[\\s\\S]', 'g', '.', 'a \nb'],
    ['[\\Sx]', 'g', '.', 'a x\u00a0b'],
    ['[\\s,]+', 'g', ';', 'a, b\u00a0,c'],
    ['[^]', 'g', '.', 'x\ny'],
    ['x[]', 'g', '!', 'x[]x'],
    ['[[:alpha:]]', 'g', '#', 'a:b[:]'],
    ['[\\b]', 'g', 'B', 'a\bb'],
    ['(?<year>\\d{4})-(?<month>\\d{2})', '', '$<month>/$<year>', 'on 2024-05 and 2025-06'],
    ['(\\d+)-(\\d+)', 'g', '$2-$1 ($&, $$)', '1-2 3-4'],
    ['-', '', '+', 'a-b-c'],
    ['x*', 'g', '-', 'abc'],
    ['ABC', 'gi', 'x', 'abc AbC aBc'],
    ['^b', 'gm', 'B', 'ab\nba\nb'],
    ['a$', 'gm', 'A', 'a\nba\na'],
    ['\\u00e9|\\x41|\\cJ', 'g', '?', 'caf\u00e9 A\n'],
    ['\\u{1F600}', 'gu', ':)', 'hi \u{1F600}!'],
    ['.', 'gu', '_', '\u{1F600}a'],
    ['\\p{Lu}', 'gu', '*', 'aBcD\u00c9'],
    ['\\bfoo\\b', 'g', 'bar', 'foo food foo.'],
    ['a{2,3}?', 'g', 'x', 'aaaaaaa'],
    ['\\/', 'g', '|', 'a/b/c'],
    ['\\d+(?:\\.\\d+)?', 'g', 'N', 'pi 3.14 or 42'],
    [',', 'g', '', '1,234,567'],
  ];
  it.each(cases)('%s /%s', (pattern, flags, replacement, input) => {
    expect(replace(input, pattern, replacement, flags)).toBe(input.replace(new RegExp(pattern, flags), replacement));
  });

  it('agrees with JavaScript on arbitrary text', () => {
    const patterns: Array<[string, string]> = [
      ['\\s+', 'g'],
      ['^\\s+|\\s+$', 'g'],
      ['[^\\w\\s]', 'g'],
      ['(\\w)(\\w*)', 'g'],
      ['.+?', ''],
      ['[a-c]+', 'gi'],
      ['\\d{2,}', 'g'],
    ];
    const alphabet = fc.constantFrom(...'aAbBc12 \t\n\r\u00a0\u2028\u3000.,-_éÉ'.split(''));
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), fc.constantFrom(...patterns), (chars, [pattern, flags]) => {
        const input = chars.join('');
        expect(replace(input, pattern, '[$&]', flags)).toBe(input.replace(new RegExp(pattern, flags), '[$&]'));
      }),
    );
  });
});

describe('patterns the linear engine cannot run are refused, naming the pattern', () => {
  it.each([
    ['(a)\\1', /backreference.*linear-time/],
    ['(?<n>a)\\k<n>', /backreference.*linear-time/],
    ['a(?=b)', /lookahead.*linear-time/],
    ['a(?!b)', /lookahead.*linear-time/],
    ['(?<=a)b', /lookbehind.*linear-time/],
    ['(?<!a)b', /lookbehind.*linear-time/],
    ['a{1001}', /invalid repeat count.*linear-time/],
    // Escapes whose meaning differs between the engines are refused rather than run with another.
    ['\\Afoo', /\\A is not a JavaScript escape/],
    ['\\p{L}', /needs the u flag/],
    ['[^\\Sa]', /negated character class/],
  ])('%s', (pattern, message) => {
    const problem = checkTransform({ op: 'regex_replace', pattern, replacement: '' });
    expect(problem?.property).toBe('pattern');
    expect(problem?.message).toMatch(message);
  });

  it('names the flags when they are at fault', () => {
    expect(checkTransform({ op: 'regex_replace', pattern: 'a', flags: 'y', replacement: '' })).toMatchObject({ property: 'flags' });
    expect(checkTransform({ op: 'regex_replace', pattern: 'a', flags: 'gg', replacement: '' })).toMatchObject({ property: 'flags' });
    expect(checkTransform({ op: 'regex_replace', pattern: 'a', flags: 'gimsu', replacement: '' })).toBeNull();
  });

  it('quarantines the rows of a mapping saved before patterns were checked, instead of running it', () => {
    const table = tableOf([col('name', 'text', { maxLength: null })]);
    const saved = [mapping('name', 'note', { transforms: [{ op: 'regex_replace', pattern: '(a)\\1', replacement: '' }] })];
    expect(convertRow({ name: 'aa' }, saved, table)).toMatchObject({ ok: false, column: 'name', reason: expect.stringContaining('backreference') });
  });
});
