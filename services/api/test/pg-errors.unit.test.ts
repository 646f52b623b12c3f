import { describe, expect, it } from 'vitest';
import { translatePgError } from '../src/lib/errors.ts';

describe('PostgreSQL errors caused by the input are client errors', () => {
  // The request check (nul-guard.ts) refuses NUL per field first; these are the safety net behind it.
  it.each(['22021', '22P05', '22008'])('%s is a 400', (code) => {
    const err = translatePgError({ code });
    expect(err?.status).toBe(400);
    expect(err?.code).toBe('validation_failed');
  });
});
