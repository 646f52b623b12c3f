import { describe, expect, it } from 'vitest';
import { canonicalKeyText, legacyKeyText } from '../../src/mapping/canonical.ts';

describe('canonicalKeyText: temporal keys are ISO 8601 and keep every digit', () => {
  it.each([
    ['2022-02-16 09:12:58.90327+00', 'timestamptz', '2022-02-16T09:12:58.90327Z'],
    ['2022-02-16T09:12:58.903270Z', 'timestamptz', '2022-02-16T09:12:58.90327Z'],
    ['2022-02-16 14:42:58.90327+05:30', 'timestamptz', '2022-02-16T09:12:58.90327Z'],
    ['2024-03-01 01:00:00.000001+05', 'timestamptz', '2024-02-29T20:00:00.000001Z'],
    ['2023-02-28 23:00:00-05', 'timestamptz', '2023-03-01T04:00:00Z'],
    ['0099-06-01 12:00:00+00', 'timestamptz', '0099-06-01T12:00:00Z'],
    ['12345-01-01 00:00:00+00', 'timestamptz', '12345-01-01T00:00:00Z'],
    ['2022-02-16 09:12:58.90327', 'timestamp', '2022-02-16T09:12:58.90327'],
    ['2022-02-16 09:12:58', 'timestamp', '2022-02-16T09:12:58'],
    ['infinity', 'timestamptz', 'infinity'],
    ['0044-03-15 12:00:00 BC', 'timestamp', '0044-03-15 12:00:00 BC'],
    ['2022-02-16', 'date', '2022-02-16'],
    ['10:00:00.123456', 'time', '10:00:00.123456'],
  ] as const)('%s (%s) -> %s', (text, family, expected) => {
    expect(canonicalKeyText(text, family)).toBe(expected);
    // Canonical text is a fixed point.
    expect(canonicalKeyText(expected, family)).toBe(expected);
  });

  it('gives a Date its exact milliseconds, never a locale string', () => {
    const d = new Date('2022-01-23T13:03:52.500Z');
    expect(canonicalKeyText(d, 'timestamptz')).toBe('2022-01-23T13:03:52.5Z');
    expect(canonicalKeyText(d, 'timestamp')).toBe('2022-01-23T13:03:52.5');
    expect(canonicalKeyText(new Date('2022-01-23T13:03:52Z'), 'timestamptz')).toBe('2022-01-23T13:03:52Z');
    expect(canonicalKeyText(d, 'date')).toBe('2022-01-23');
  });

  it('keeps two values that differ only in microseconds apart', () => {
    expect(canonicalKeyText('2022-02-16 09:12:58.903+00', 'timestamptz')).not.toBe(canonicalKeyText('2022-02-16 09:12:58.90327+00', 'timestamptz'));
  });
});

describe('legacyKeyText: the key text versions up to 0.1 wrote', () => {
  it('truncates timestamps to milliseconds and prints them as PostgreSQL does', () => {
    expect(legacyKeyText('2022-02-16T09:12:58.90327Z', 'timestamptz')).toBe('2022-02-16 09:12:58.903+00');
    expect(legacyKeyText('2022-02-16T09:12:58Z', 'timestamptz')).toBe('2022-02-16 09:12:58+00');
    expect(legacyKeyText('2022-02-16T09:12:58.5', 'timestamp')).toBe('2022-02-16 09:12:58.5');
  });

  it('pads char(n) values with the blanks the driver returned', () => {
    expect(legacyKeyText('ab', 'text', 4)).toBe('ab  ');
    expect(legacyKeyText('abcd', 'text', 4)).toBeNull();
  });

  it('has no older form for other values', () => {
    expect(legacyKeyText('42', 'integer')).toBeNull();
    expect(legacyKeyText('2022-02-16', 'date')).toBeNull();
    expect(legacyKeyText('infinity', 'timestamptz')).toBeNull();
    expect(legacyKeyText(null, 'timestamptz')).toBeNull();
  });
});
