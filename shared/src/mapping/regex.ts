import { RE2JS } from 're2js';

/*
 * regex_replace patterns are written in JavaScript syntax but run on RE2 (the re2js port), whose
 * matching time is linear in the input: a pattern such as ^(a+)+$ cannot make a worker spin,
 * whatever the row holds. JavaScript's backtracking engine gives no such bound.
 *
 * The pattern is translated first so that what RE2 runs means what the JavaScript pattern meant:
 * \s, \S and "." get JavaScript's line terminators and Unicode spaces (RE2's are ASCII), [\b] is
 * a backspace, [] and [^] keep their JavaScript meaning. Syntax RE2 cannot run in linear time
 * (backreferences, lookahead, lookbehind) and escapes whose meaning differs between the two
 * (\A, \z, \Q...) are refused with a message saying so, never silently run with another meaning.
 */

/** Flags a regex_replace may use: g (every match), i, m, s, and u (allows \p{...}; RE2 always matches code points). */
const ALLOWED_FLAGS = /^[gimsu]*$/;

/** JavaScript's \s: WhiteSpace (tab, VT, FF, ZWNBSP, every Zs space) and LineTerminator (LF, CR, LS, PS). */
const JS_SPACE_ITEMS = '\\t\\n\\x{0B}\\f\\r\\x{FEFF}\\x{2028}\\x{2029}\\p{Zs}';
/** JavaScript's "." without the s flag: anything but a line terminator (RE2's excludes only \n). */
const JS_DOT = '[^\\n\\r\\x{2028}\\x{2029}]';

/** Escapes JavaScript gives a meaning (with the u flag, every other letter escape is a syntax error). */
const JS_LETTER_ESCAPES = new Set([...'dDwWsSbBnrtfvcxuk']);

/** The pattern cannot run on the linear-time engine (or would mean something else there). */
export class UnsupportedPatternError extends Error {
  override name = 'UnsupportedPatternError';
}

export interface LinearRegex {
  re: RE2JS;
  /** The g flag: replace every match rather than the first. */
  global: boolean;
}

const unsupported = (what: string) =>
  new UnsupportedPatternError(`${what}; regex_replace runs on a linear-time engine (RE2), which has no backreferences or lookaround`);

/** Rewrites a JavaScript pattern into RE2 syntax with the same meaning, or throws UnsupportedPatternError. */
export function translatePattern(pattern: string, flags: string): string {
  const unicode = flags.includes('u');
  const dotAll = flags.includes('s');
  let out = '';
  // The class being read: its members (RE2 spelling), whether it is negated and whether it holds \S.
  let cls: { members: string; negated: boolean; nonSpace: boolean } | null = null;
  const emit = (text: string) => {
    if (cls) cls.members += text;
    else out += text;
  };
  for (let i = 0; i < pattern.length; i++) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      const next = pattern[i + 1];
      if (next === undefined) {
        emit(ch);
        continue;
      }
      i++;
      if (next >= '1' && next <= '9') throw unsupported(`\\${next} (a backreference) is not supported`);
      if (next === 'k' && pattern[i + 1] === '<') throw unsupported('\\k<name> (a backreference) is not supported');
      if ((next === 'p' || next === 'P') && !unicode)
        throw new UnsupportedPatternError(`\\${next}{...} needs the u flag (without it JavaScript reads "${next}")`);
      if (/[A-Za-z]/.test(next) && !JS_LETTER_ESCAPES.has(next) && next !== 'p' && next !== 'P') {
        throw new UnsupportedPatternError(`\\${next} is not a JavaScript escape (write "${next}" without the backslash)`);
      }
      if (next === 's') emit(cls ? JS_SPACE_ITEMS : `[${JS_SPACE_ITEMS}]`);
      else if (next === 'S') {
        if (cls) cls.nonSpace = true;
        else out += `[^${JS_SPACE_ITEMS}]`;
      } else if (next === 'b' && cls) cls.members += '\\x{08}';
      else emit(`\\${next}`);
      continue;
    }
    if (cls) {
      if (ch !== ']') {
        // A "[" in a JavaScript class is a member; RE2 would read [:alpha:] as a POSIX class.
        cls.members += ch === '[' ? '\\[' : ch;
        continue;
      }
      // RE2 cannot put the complement of a set inside a class: [a\S] becomes (?:[a]|[^spaces]).
      const { members, negated, nonSpace } = cls;
      cls = null;
      if (!nonSpace) out += `[${negated ? '^' : ''}${members}]`;
      else if (negated)
        throw new UnsupportedPatternError(
          '\\S inside a negated character class is not supported (write [^\\S...] without the \\S and add \\s where it should match)',
        );
      else out += members ? `(?:[^${JS_SPACE_ITEMS}]|[${members}])` : `[^${JS_SPACE_ITEMS}]`;
      continue;
    }
    if (ch === '[') {
      // JavaScript: [] matches nothing and [^] anything; RE2 would read the "]" as a member.
      if (pattern.startsWith('[]', i)) {
        out += '[^\\x{0}-\\x{10FFFF}]';
        i += 1;
        continue;
      }
      if (pattern.startsWith('[^]', i)) {
        out += '(?s:.)';
        i += 2;
        continue;
      }
      const negated = pattern[i + 1] === '^';
      if (negated) i++;
      cls = { members: '', negated, nonSpace: false };
      continue;
    }
    if (ch === '(' && pattern[i + 1] === '?') {
      const rest = pattern.slice(i + 2, i + 4);
      if (rest.startsWith('=') || rest.startsWith('!')) throw unsupported('lookahead ((?= or (?!) is not supported');
      if (rest === '<=' || rest === '<!') throw unsupported('lookbehind ((?<= or (?<!) is not supported');
    }
    if (ch === '.' && !dotAll) {
      out += JS_DOT;
      continue;
    }
    out += ch;
  }
  // An unclosed class: hand it over as written, RE2 reports it.
  if (cls) out += `[${cls.negated ? '^' : ''}${cls.members}`;
  // \u, \x, \c and (?<name>) in their RE2 spelling.
  return RE2JS.translateRegExp(out);
}

/** Why `flags` are not usable (unknown or repeated), or null. */
export function flagsProblem(flags: string): string | null {
  return ALLOWED_FLAGS.test(flags) && new Set(flags).size === flags.length ? null : `invalid regex flags "${flags}" (allowed: g, i, m, s, u, each once)`;
}

const cache = new Map<string, LinearRegex>();

/**
 * Compiles (and caches) a regex_replace pattern for the linear-time engine. Throws SyntaxError
 * for bad flags or a pattern RE2 rejects, UnsupportedPatternError for JavaScript-only syntax.
 */
export function compileLinearRegex(pattern: string, flags = ''): LinearRegex {
  const badFlags = flagsProblem(flags);
  if (badFlags) throw new SyntaxError(badFlags);
  const key = `${flags}/${pattern}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const translated = translatePattern(pattern, flags);
  const bits = (flags.includes('i') ? RE2JS.CASE_INSENSITIVE : 0) | (flags.includes('m') ? RE2JS.MULTILINE : 0) | (flags.includes('s') ? RE2JS.DOTALL : 0);
  let re: RE2JS;
  try {
    re = RE2JS.compile(translated, bits);
  } catch (err) {
    // re2js says "error parsing regexp: ..."; the caller adds what it was parsing.
    throw new UnsupportedPatternError(`${(err as Error).message.replace(/^error parsing regexp: /, '')} (regex_replace runs on RE2, a linear-time engine)`);
  }
  const compiled = { re, global: flags.includes('g') };
  if (cache.size > 1000) cache.clear(); // patterns come from definitions: few, but never unbounded
  cache.set(key, compiled);
  return compiled;
}

/** String.prototype.replace semantics ($1, $<name>, $&, $$; first match unless g) on the linear-time engine. */
export function linearReplace(input: string, compiled: LinearRegex, replacement: string): string {
  const matcher = compiled.re.matcher(input);
  return compiled.global ? matcher.replaceAll(replacement) : matcher.replaceFirst(replacement);
}
