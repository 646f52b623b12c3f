import { describe, expect, it } from 'vitest';
import { combineEstimates, hasStatistics, rowsFromSize } from '../../src/sources/postgres/estimates.ts';

describe('row estimate rules (pure)', () => {
  it('knows when statistics are missing: reltuples -1 on PostgreSQL 14+, 0 with 0 pages before', () => {
    expect(hasStatistics({ reltuples: -1, relpages: 0 }, 150004)).toBe(false);
    // Analysed (or vacuumed) and empty: 0 is a real answer on 14+.
    expect(hasStatistics({ reltuples: 0, relpages: 0 }, 140000)).toBe(true);
    expect(hasStatistics({ reltuples: 1200, relpages: 10 }, 160000)).toBe(true);
    expect(hasStatistics({ reltuples: 0, relpages: 0 }, 130011)).toBe(false);
    expect(hasStatistics({ reltuples: 0, relpages: 3 }, 130011)).toBe(true);
    expect(hasStatistics({ reltuples: 42, relpages: 1 }, 120000)).toBe(true);
  });

  it('sums leaf partitions and keeps the least exact source', () => {
    expect(
      combineEstimates([
        { rows: 10, source: 'count' },
        { rows: 5, source: 'count' },
      ]),
    ).toEqual({ rows: 15, source: 'count' });
    expect(
      combineEstimates([
        { rows: 10, source: 'count' },
        { rows: 500, source: 'statistics' },
      ]),
    ).toEqual({ rows: 510, source: 'statistics' });
    expect(
      combineEstimates([
        { rows: 500, source: 'statistics' },
        { rows: 9000, source: 'size' },
        { rows: 1, source: 'count' },
      ]),
    ).toEqual({ rows: 9501, source: 'size' });
    // One leaf without a figure leaves the total unknown rather than silently short.
    expect(
      combineEstimates([
        { rows: 10, source: 'count' },
        { rows: null, source: 'none' },
      ]),
    ).toEqual({ rows: null, source: 'none' });
    // No partitions: it cannot hold a row.
    expect(combineEstimates([])).toEqual({ rows: 0, source: 'count' });
  });

  it('derives rows from the heap size and the row width, page by page', () => {
    expect(rowsFromSize(0, 40)).toBe(0);
    // (8192 - 24) / (8 + 28) = 226 narrow rows per page.
    expect(rowsFromSize(8192, 8)).toBe(226);
    expect(rowsFromSize(10 * 8192, 8)).toBe(2260);
    // Wider rows, fewer per page; a partial page counts as a page.
    expect(rowsFromSize(8192 + 1, 100)).toBe(2 * 63);
  });
});
