/*
 * JSON array text (the list form of an array column) parsed without losing digits: JSON.parse
 * turns 9007199254740993 into 9007199254740992. Numbers that are elements of an array are kept
 * as their text (a string); numbers inside objects (json[] elements) are parsed as usual.
 */

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;

/** The parsed value with array-element numbers as strings; undefined when `text` is not JSON. */
export function parseJsonArrayKeepingNumbers(text: string): unknown {
  try {
    JSON.parse(text);
  } catch {
    return undefined;
  }
  const containers: string[] = [];
  let out = '';
  let i = 0;
  while (i < text.length) {
    const ch = text[i] as string;
    if (ch === '"') {
      // Copy the string literal whole, escapes included.
      let j = i + 1;
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1;
      out += text.slice(i, j + 1);
      i = j + 1;
      continue;
    }
    if (ch === '[' || ch === '{') containers.push(ch);
    else if (ch === ']' || ch === '}') containers.pop();
    else if ((ch === '-' || (ch >= '0' && ch <= '9')) && containers.at(-1) === '[') {
      NUMBER.lastIndex = i;
      const m = NUMBER.exec(text);
      if (m) {
        out += JSON.stringify(m[0]);
        i += m[0].length;
        continue;
      }
    }
    out += ch;
    i++;
  }
  return JSON.parse(out);
}
