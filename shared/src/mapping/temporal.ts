/*
 * Date, time and interval text. SharePoint stores dateTime values in UTC with whole seconds
 * and accepts 1900-01-01 .. 8900-12-31 only, so values are formatted to exactly that.
 */

const pad = (n: number, width = 2) => String(Math.abs(n)).padStart(width, '0');

/** SharePoint's accepted dateTime range ("a valid date within the range of 1/1/1900 and 12/31/8900"). */
export const SHAREPOINT_MIN_DATE_MS = Date.UTC(1900, 0, 1);
export const SHAREPOINT_MAX_DATE_MS = Date.UTC(8901, 0, 1) - 1;

export const isValidDate = (d: Date): boolean => !Number.isNaN(d.getTime());

/** `YYYY-MM-DD` from the UTC calendar date. */
export function formatUtcDate(d: Date): string {
  const y = d.getUTCFullYear();
  return `${y < 0 ? '-' : ''}${pad(y, 4)}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

/** `HH:MM:SS` plus `.fff` with trailing zeros trimmed, as PostgreSQL prints fractional seconds. */
function formatUtcTime(d: Date): string {
  const ms = d.getUTCMilliseconds();
  const frac = ms ? `.${pad(ms, 3).replace(/0+$/, '')}` : '';
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}${frac}`;
}

/** PostgreSQL's text form of a timestamp (ISO DateStyle, UTC session): `2024-01-15 10:00:00.5[+00]`. */
export function formatPgTimestamp(d: Date, withZone: boolean): string {
  return `${formatUtcDate(d)} ${formatUtcTime(d)}${withZone ? '+00' : ''}`;
}

/** ISO 8601 in UTC, milliseconds only when non-zero: `2024-01-15T10:00:00Z`, `2024-01-15T10:00:00.123Z`. */
export function formatIsoUtc(d: Date): string {
  return `${formatUtcDate(d)}T${formatUtcTime(d).replace(/(\.\d*)$/, (f) => f.padEnd(4, '0'))}Z`;
}

// `2024-01-15`, `2024-01-15 10:00:00.123456`, `2024-01-15T10:00:00Z`, `... +02`, `... -05:30`.
const TIMESTAMP_TEXT = /^(\d{4,})-(\d{2})-(\d{2})(?:[ T](\d{2}):(\d{2})(?::(\d{2})(?:\.(\d+))?)?)?\s*(Z|[+-]\d{2}(?::?\d{2}(?::?\d{2})?)?)?$/i;

/**
 * Parses PostgreSQL / ISO 8601 date or timestamp text. Without an offset the value is taken
 * as UTC (SyncBridge's rule for `timestamp without time zone`). Sub-millisecond digits are
 * dropped. Returns null for anything else ('infinity', BC dates, malformed text).
 */
export function parseTimestampText(s: string): Date | null {
  const m = TIMESTAMP_TEXT.exec(s.trim());
  if (!m) return null;
  const [, y, mo, d, h = '0', mi = '0', sec = '0', frac = '', zone] = m;
  const year = Number(y);
  const month = Number(mo);
  const day = Number(d);
  const ms = Number(frac.slice(0, 3).padEnd(3, '0'));
  let t = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(sec), ms);
  if (year < 100) t = new Date(t).setUTCFullYear(year); // Date.UTC maps years 0..99 to 1900..1999
  const check = new Date(t);
  // Reject calendar overflow (2024-02-30 would silently become March 1st).
  if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day) return null;
  if (Number(h) > 23 || Number(mi) > 59 || Number(sec) > 59) return null;
  if (zone && zone.toUpperCase() !== 'Z') {
    const sign = zone.startsWith('-') ? -1 : 1;
    const digits = zone.slice(1).replace(/:/g, '');
    const offset = Number(digits.slice(0, 2)) * 3600 + Number(digits.slice(2, 4) || '0') * 60 + Number(digits.slice(4, 6) || '0');
    t -= sign * offset * 1000;
  }
  return new Date(t);
}

/** SharePoint dateTime value: whole seconds (sub-second parts are truncated), UTC, `Z`. */
export function toSharePointDateTime(d: Date): string {
  const whole = new Date(Math.floor(d.getTime() / 1000) * 1000);
  return `${formatUtcDate(whole)}T${pad(whole.getUTCHours())}:${pad(whole.getUTCMinutes())}:${pad(whole.getUTCSeconds())}Z`;
}

export const inSharePointRange = (d: Date): boolean => d.getTime() >= SHAREPOINT_MIN_DATE_MS && d.getTime() <= SHAREPOINT_MAX_DATE_MS;

const ISO_DURATION = /^P(?!$)(-?\d+Y)?(-?\d+M)?(-?\d+W)?(-?\d+D)?(T(?=-?\d)(-?\d+H)?(-?\d+M)?(-?\d+(\.\d+)?S)?)?$/;
const PG_INTERVAL_PART = /^(-?\d+) (years?|mons?|days?)$/;
const PG_INTERVAL_TIME = /^([+-])?(\d+):(\d{2}):(\d{2})(?:\.(\d+))?$/;

/**
 * An interval as ISO 8601 duration text, exactly as PostgreSQL's `IntervalStyle = iso_8601`
 * prints it (each component keeps its own sign: `P-1DT2H`). Accepts that style unchanged and
 * converts the default `postgres` style (`1 year 2 mons -3 days 04:05:06.5`); returns null
 * for anything else.
 */
export function intervalToIso(text: string): string | null {
  const s = text.trim();
  if (ISO_DURATION.test(s)) return s;
  const tokens = s.split(/\s+/);
  let years = 0,
    months = 0,
    days = 0,
    timePart: string | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i] as string;
    const next = tokens[i + 1];
    const part = next !== undefined ? PG_INTERVAL_PART.exec(`${token} ${next}`) : null;
    if (part) {
      const n = Number(part[1]);
      const unit = part[2] as string;
      if (unit.startsWith('year')) years = n;
      else if (unit.startsWith('mon')) months = n;
      else days = n;
      i++;
    } else if (i === tokens.length - 1 && PG_INTERVAL_TIME.test(token)) {
      timePart = token;
    } else {
      return null;
    }
  }
  let out = 'P';
  if (years) out += `${years}Y`;
  if (months) out += `${months}M`;
  if (days) out += `${days}D`;
  if (timePart) {
    const [, sign, h = '0', mi = '0', sec = '0', frac = ''] = PG_INTERVAL_TIME.exec(timePart) as RegExpExecArray;
    const neg = sign === '-' ? '-' : '';
    const hours = Number(h);
    const minutes = Number(mi);
    const fracTrimmed = frac.replace(/0+$/, '');
    const secText = `${Number(sec)}${fracTrimmed ? `.${fracTrimmed}` : ''}`;
    if (hours || minutes || secText !== '0') {
      out += 'T';
      if (hours) out += `${neg}${hours}H`;
      if (minutes) out += `${neg}${minutes}M`;
      if (secText !== '0') out += `${neg}${secText}S`;
    }
  }
  return out === 'P' ? 'PT0S' : out;
}
