/**
 * ISO 8601 dates and date-times as SharePoint takes them for dateTime columns: a real
 * calendar date (no `2024-02-30`: JavaScript's Date would roll that forward to March 1st),
 * hours 00-23, minutes and seconds 00-59, an offset of at most ±14:00, and a result between
 * 1900-01-01 and 8900-12-31 (SharePoint: "a valid date within the range of 1/1/1900 and
 * 12/31/8900"). A date without a time is midnight UTC; a date-time without an offset is UTC.
 */

const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:T(\d{2}):(\d{2})(?::(\d{2})(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})?)?$/;

export const SHAREPOINT_MIN_DATE_MS = Date.UTC(1900, 0, 1);
export const SHAREPOINT_MAX_DATE_MS = Date.UTC(8901, 0, 1) - 1;

/**
 * Epoch milliseconds, or undefined for anything that is not a real ISO date or date-time
 * (or, with `inSharePointRange`, one outside SharePoint's range).
 */
export function parseIsoDateTime(value: string, inSharePointRange = true): number | undefined {
  const m = ISO.exec(value);
  if (!m) return undefined;
  const [, y, mo, d, h = '0', mi = '0', s = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const hour = Number(h);
  const minute = Number(mi);
  const second = Number(s);
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || second > 59) return undefined;
  const monthEnd = new Date(Date.UTC(2000, month, 0));
  monthEnd.setUTCFullYear(year, month, 0);
  const daysInMonth = monthEnd.getUTCDate();
  if (day > daysInMonth) return undefined;
  let offsetMinutes = 0;
  if (zone && zone !== 'Z') {
    const digits = zone.slice(1).replace(':', '');
    const oh = Number(digits.slice(0, 2));
    const om = Number(digits.slice(2, 4));
    if (om > 59 || oh * 60 + om > 14 * 60) return undefined;
    offsetMinutes = (zone.startsWith('-') ? -1 : 1) * (oh * 60 + om);
  }
  const utc = new Date(Date.UTC(2000, month - 1, day, hour, minute, second, Math.floor(Number(`0${frac || '.0'}`) * 1000)));
  utc.setUTCFullYear(year);
  const ms = utc.getTime() - offsetMinutes * 60_000;
  if (!inSharePointRange) return ms;
  if (ms < SHAREPOINT_MIN_DATE_MS || ms > SHAREPOINT_MAX_DATE_MS) return undefined;
  return ms;
}
