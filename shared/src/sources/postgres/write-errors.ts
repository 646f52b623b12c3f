/*
 * Which database errors belong to a row of a batch (its values, its constraints, a trigger
 * refusing it) and what to tell the caller. Such an error fails the whole multi-row statement;
 * the writer then splits the batch to find the rows that cause it (write.ts). Any other error
 * (a lost connection, a deadlock, a missing privilege, a timeout) fails the batch: nothing is
 * committed and the caller retries it.
 */

interface PgError {
  code?: string;
  message?: string;
  column_name?: string;
  constraint_name?: string;
}

/** SQLSTATE classes and codes caused by one row's data: data exceptions (22), integrity violations (23), raised by a trigger (P0001), WITH CHECK OPTION (44000). */
export function isRowError(err: unknown): boolean {
  const code = (err as PgError)?.code;
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return false;
  return code.startsWith('22') || code.startsWith('23') || code === 'P0001' || code === '44000';
}

/** One readable line, bounded: the server's text may be long or hold control characters. */
const line = (s: string) =>
  s
    // eslint-disable-next-line no-control-regex -- control characters are exactly what is removed
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, 300) || 'no message';

/** Why the database refused a row, in our words where the error has a known shape, else the server's own message (data errors name the value and type). */
export function rowErrorReason(err: unknown): string {
  const e = err as PgError;
  const column = e.column_name ? `column "${e.column_name}"` : 'a column';
  const constraint = e.constraint_name ? `"${e.constraint_name}"` : '';
  switch (e.code) {
    case '23502':
      return `${column} cannot be NULL (NOT NULL)`;
    case '23503':
      return `foreign key ${constraint}: the referenced row does not exist, or other rows still reference this one`.replace('  ', ' ');
    case '23505':
      return `unique constraint ${constraint}: another row already has this value`.replace('  ', ' ');
    case '23514':
      return `check constraint ${constraint} refused the row`.replace('  ', ' ');
    case '23P01':
      return `exclusion constraint ${constraint} refused the row`.replace('  ', ' ');
    case 'P0001':
      return `a trigger refused the row: ${line(e.message ?? '')}`;
    default:
      return `the database refused the row (${e.code}): ${line(e.message ?? '')}`;
  }
}
