import { describe, expect, it } from 'vitest';
import { intervalToIso, parseTimestampText, toSharePointDateTime } from '../../src/mapping/temporal.ts';

describe('intervalToIso', () => {
  it('converts PostgreSQL style to what IntervalStyle iso_8601 prints', () => {
    const cases: Array<[string, string]> = [
      ['00:00:00', 'PT0S'],
      ['1 day 02:03:04.5', 'P1DT2H3M4.5S'],
      ['1 year 2 mons 3 days', 'P1Y2M3D'],
      ['-1 days +02:00:00', 'P-1DT2H'],
      ['-00:00:01.25', 'PT-1.25S'],
      ['-01:02:03', 'PT-1H-2M-3S'],
      ['49:00:00', 'PT49H'],
      ['3 mons -2 days', 'P3M-2D'],
      ['00:00:00.000001', 'PT0.000001S'],
    ];
    for (const [input, iso] of cases) expect(intervalToIso(input), input).toBe(iso);
  });

  it('passes ISO durations through and refuses other text', () => {
    expect(intervalToIso('P1Y2M3DT4H5M6.5S')).toBe('P1Y2M3DT4H5M6.5S');
    expect(intervalToIso('P-1DT2H')).toBe('P-1DT2H');
    expect(intervalToIso('@ 1 day ago')).toBeNull();
    expect(intervalToIso('P')).toBeNull();
  });
});

describe('parseTimestampText', () => {
  it('reads PostgreSQL and ISO text, UTC when there is no offset', () => {
    expect(parseTimestampText('2024-01-15')?.toISOString()).toBe('2024-01-15T00:00:00.000Z');
    expect(parseTimestampText('2024-01-15 10:00:00.123456')?.toISOString()).toBe('2024-01-15T10:00:00.123Z');
    expect(parseTimestampText('2024-01-15 10:00:00+05:30')?.toISOString()).toBe('2024-01-15T04:30:00.000Z');
    expect(parseTimestampText('2024-01-15T10:00:00-08')?.toISOString()).toBe('2024-01-15T18:00:00.000Z');
    expect(parseTimestampText('0050-06-01')?.toISOString()).toBe('0050-06-01T00:00:00.000Z');
  });

  it('refuses infinity, BC dates and impossible dates', () => {
    for (const bad of ['infinity', '-infinity', '2024-01-15 BC', '2023-02-29', '2024-01-15 25:00:00', 'yesterday'])
      expect(parseTimestampText(bad), bad).toBeNull();
  });
});

describe('toSharePointDateTime', () => {
  it('truncates to whole seconds, also before 1970', () => {
    expect(toSharePointDateTime(new Date('2024-01-15T10:00:00.999Z'))).toBe('2024-01-15T10:00:00Z');
    expect(toSharePointDateTime(new Date('1950-01-01T00:00:00.500Z'))).toBe('1950-01-01T00:00:00Z');
  });
});
