/*
 * Which server errors belong to a row of a batch (its values, its constraints, a trigger's
 * SIGNAL) and what to tell the caller. Such an error fails the whole multi-row statement (InnoDB
 * undoes the statement); the writer then splits the batch to find the rows that cause it
 * (write.ts). Any other error (a lost connection, a deadlock, a lock wait timeout, a missing
 * privilege) fails the batch: nothing is committed and the caller retries it.
 */

interface MysqlError {
  errno?: number;
  sqlState?: string;
  code?: string;
  sqlMessage?: string;
  message?: string;
}

/** Errors with SQLSTATE HY000 that are still about one row's value. */
const ROW_ERRNOS = new Set([
  1048, // ER_BAD_NULL_ERROR
  1062, // ER_DUP_ENTRY
  1263, // ER_WARN_NULL_TO_NOTNULL
  1264, // ER_WARN_DATA_OUT_OF_RANGE
  1265, // WARN_DATA_TRUNCATED
  1292, // ER_TRUNCATED_WRONG_VALUE
  1300, // ER_INVALID_CHARACTER_STRING
  1364, // ER_NO_DEFAULT_FOR_FIELD
  1365, // ER_DIVISION_BY_ZERO
  1366, // ER_TRUNCATED_WRONG_VALUE_FOR_FIELD
  1406, // ER_DATA_TOO_LONG
  1411, // ER_WRONG_VALUE_FOR_TYPE
  1416, // ER_CANT_CREATE_GEOMETRY_OBJECT
  1451, // ER_ROW_IS_REFERENCED_2
  1452, // ER_NO_REFERENCED_ROW_2
  1525, // ER_WRONG_VALUE
  1644, // ER_SIGNAL_EXCEPTION (a trigger's SIGNAL)
  1690, // ER_DATA_OUT_OF_RANGE
  1906, // ER_WARNING_NON_DEFAULT_VALUE_FOR_GENERATED_COLUMN (MariaDB)
  3105, // ER_NON_DEFAULT_VALUE_FOR_GENERATED_COLUMN (MySQL)
  3140, // ER_INVALID_JSON_TEXT
  3819, // ER_CHECK_CONSTRAINT_VIOLATED (MySQL)
  4025, // ER_CONSTRAINT_FAILED (MariaDB check constraint)
]);

export function isRowError(err: unknown): boolean {
  const e = err as MysqlError;
  if (typeof e?.errno !== 'number') return false;
  if (ROW_ERRNOS.has(e.errno)) return true;
  const state = e.sqlState ?? '';
  return state.startsWith('22') || state.startsWith('23') || state === '45000';
}

/** One readable line, bounded: the server's text may be long or hold control characters. */
const line = (s: string) =>
  [...s]
    .map((ch) => (ch.charCodeAt(0) < 0x20 || ch === '\u007f' ? ' ' : ch))
    .join('')
    .replace(/ {2,}/g, ' ')
    .trim()
    .slice(0, 300) || 'no message';

const quoted = (message: string, re: RegExp) => re.exec(message)?.[1];

/** Why the server refused a row, in our words where the error has a known shape (never the refused value itself), else the server's message. */
export function rowErrorReason(err: unknown): string {
  const e = err as MysqlError;
  const message = e.sqlMessage ?? e.message ?? '';
  const column = quoted(message, /column '([^']*)'/i) ?? quoted(message, /Column '([^']*)'/);
  const col = column ? `column "${column}"` : 'a column';
  switch (e.errno) {
    case 1048:
    case 1263:
    case 1364:
      return `${col} cannot be NULL (NOT NULL, no default)`;
    case 1062: {
      const key = quoted(message, /for key '([^']*)'/i);
      return `unique key ${key ? `"${key.replace(/^.*\./, '')}"` : ''}: another row already has this value`.replace('  ', ' ');
    }
    case 1451:
      return 'foreign key: other rows still reference this one';
    case 1452:
      return 'foreign key: the referenced row does not exist';
    case 1406:
      return `${col}: the value is too long for the column`;
    case 1264:
    case 1690:
      return `${col}: the value is out of the column's range`;
    case 3819:
    case 4025: {
      const name = quoted(message, /constraint '([^']*)'/i) ?? quoted(message, /CONSTRAINT `([^`]*)`/);
      return `check constraint ${name ? `"${name}"` : ''} refused the row`.replace('  ', ' ');
    }
    case 1644:
      return `a trigger refused the row: ${line(message)}`;
    case 1906:
    case 3105:
      return `${col} is generated: it cannot be written`;
    default:
      return `the database refused the row (${e.code ?? e.errno}): ${line(message)}`;
  }
}
