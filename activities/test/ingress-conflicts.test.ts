import { describe, expect, it } from 'vitest';
import { decideConflict } from '../src/ingress/conflicts.ts';

describe('conflict policies (a row and its item both changed since the last sync)', () => {
  const newer = { itemModified: '2025-01-02T00:00:00Z', rowWatermark: new Date('2025-01-01T00:00:00Z') };
  const older = { itemModified: '2024-12-31T00:00:00Z', rowWatermark: new Date('2025-01-01T00:00:00Z') };

  it('source_wins keeps the table, sharepoint_wins takes the list, manual leaves both to a person', () => {
    expect(decideConflict('source_wins', newer)).toBe('source');
    expect(decideConflict('sharepoint_wins', older)).toBe('list');
    expect(decideConflict('manual', newer)).toBe('manual');
  });

  it('latest_wins takes the later side; a tie or a missing time goes to the source', () => {
    expect(decideConflict('latest_wins', newer)).toBe('list');
    expect(decideConflict('latest_wins', older)).toBe('source');
    expect(decideConflict('latest_wins', { itemModified: '2025-01-01T00:00:00Z', rowWatermark: new Date('2025-01-01T00:00:00Z') })).toBe('source');
    expect(decideConflict('latest_wins', { itemModified: null, rowWatermark: new Date() })).toBe('source');
    expect(decideConflict('latest_wins', { itemModified: '2025-01-02T00:00:00Z', rowWatermark: null })).toBe('source');
    expect(decideConflict('latest_wins', { itemModified: 'not a date', rowWatermark: new Date(0) })).toBe('source');
    // A watermark read as text (an engine's own print) compares the same way.
    expect(decideConflict('latest_wins', { itemModified: '2025-01-02T00:00:00Z', rowWatermark: '2025-01-01T00:00:00Z' })).toBe('list');
  });
});
