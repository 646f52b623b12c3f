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

describe('a foreign key to nothing', () => {
  it('names the request field and the id, not the constraint', () => {
    const err = translatePgError({
      code: '23503',
      constraint_name: 'databases_app_id_apps_id_fk',
      detail: 'Key (app_id)=(9f0e7a52-5d8f-4d5e-9a43-2a1d3c1f0b11) is not present in table "apps".',
    });
    expect(err?.status).toBe(422);
    expect(err?.code).toBe('invalid_reference');
    expect(err?.errors).toEqual([{ field: 'body.appId', message: '9f0e7a52-5d8f-4d5e-9a43-2a1d3c1f0b11 does not exist (no row of apps has it)' }]);
    expect(err?.message).not.toContain('_fk');
  });

  it('without a detail it still is a 422 naming the constraint; a row still referenced is a 409', () => {
    expect(translatePgError({ code: '23503', constraint_name: 'x_fk' })?.message).toMatch(/x_fk/);
    expect(translatePgError({ code: '23503', constraint_name: 'x_fk', detail: 'Key (id)=(1) is still referenced from table "y".' })?.status).toBe(409);
  });
});
