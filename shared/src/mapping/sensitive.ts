import type { IntrospectedColumn, TypeFamily } from '../sources/types.ts';

/*
 * Which source columns look like secrets or highly sensitive identifiers, from their name.
 * A list is readable by everyone the site lets in, so such a column is not mapped unless the
 * user opts in. A false positive only costs an opt-in; a false negative leaks a secret, so the
 * rules lean towards flagging, but stay word-aware so everyday names (passenger, hashtag,
 * spinach, opinion, secretary, tokens_used) are not caught.
 */

/**
 * How a phrase matches the name's words: `run` when consecutive words spell it exactly
 * (`api_key`, `ApiKey`, `apikey`), `end` also when one word ends with it (`clientsecret`),
 * `inside` also when one word contains it (`passwordhash`, `hashedpassword`).
 */
type Mode = 'run' | 'end' | 'inside';

interface Rule {
  phrases: string[];
  mode: Mode;
  what: string;
}

const RULES: Rule[] = [
  { phrases: ['password', 'passwd', 'passphrase', 'passcode', 'pwd', 'passhash', 'passsalt'], mode: 'inside', what: 'a password or its hash' },
  { phrases: ['salt'], mode: 'run', what: 'a password salt' },
  { phrases: ['secret', 'secrets'], mode: 'end', what: 'a secret' },
  {
    phrases: ['secretkey', 'privatekey', 'apikey', 'accesskey', 'signingkey', 'encryptionkey', 'sessionkey', 'licensekey', 'sshkey'],
    mode: 'inside',
    what: 'a key',
  },
  // Singular only: `tokens`, `total_tokens`, `tokens_used` count tokens, they do not hold one.
  { phrases: ['token'], mode: 'end', what: 'an access token' },
  { phrases: ['credential', 'credentials'], mode: 'end', what: 'a credential' },
  { phrases: ['recoverycode', 'recoverycodes', 'backupcode', 'backupcodes', 'otp', 'totp'], mode: 'run', what: 'a one-time or recovery code' },
  { phrases: ['pin'], mode: 'run', what: 'a PIN' },
  {
    phrases: ['ssn', 'socialsecurity', 'taxid', 'taxnumber', 'nationalid', 'nationalidnumber', 'passport', 'passportnumber', 'driverslicense', 'driverlicense'],
    mode: 'run',
    what: 'a national identifier',
  },
  { phrases: ['socialsecurity', 'nationalidnumber', 'passportnumber'], mode: 'inside', what: 'a national identifier' },
  { phrases: ['cvv', 'cvc', 'cvv2', 'creditcard', 'cardnumber', 'cardnum', 'cardno', 'ccnumber', 'ccnum'], mode: 'run', what: 'payment card data' },
  { phrases: ['creditcard', 'cardnumber'], mode: 'inside', what: 'payment card data' },
  { phrases: ['iban', 'bankaccount', 'bankaccountnumber'], mode: 'run', what: 'a bank account number' },
];

/**
 * A last word that makes the column describe a secret rather than hold it:
 * `password_changed_at`, `token_expires_at`, `token_count`, `api_key_id`, `pin_enabled`.
 */
const METADATA_LAST = new Set([
  'at',
  'on',
  'date',
  'time',
  'ts',
  'timestamp',
  'expires',
  'expiry',
  'expiration',
  'expired',
  'exp',
  'ttl',
  'count',
  'counts',
  'cnt',
  'used',
  'usage',
  'limit',
  'length',
  'len',
  'size',
  'type',
  'kind',
  'id',
  'ids',
  'enabled',
  'required',
  'set',
  'changed',
  'updated',
  'created',
  'rotated',
  'policy',
  'strength',
  'version',
  'algorithm',
  'algo',
  'scheme',
  'status',
  'state',
  'valid',
  'verified',
  'attempts',
  'failures',
  'flag',
]);
/** A first word that makes the column a flag about a secret: `has_password`, `is_pin_set`. */
const FLAG_FIRST = new Set(['has', 'is', 'needs', 'requires', 'require', 'must', 'can', 'allow', 'allows', 'use', 'uses', 'was', 'should']);
/** Families that cannot hold a secret's value (a timestamp about a password is not the password). */
const NO_SECRET_FAMILIES: ReadonlySet<TypeFamily> = new Set(['boolean', 'date', 'timestamp', 'timestamptz', 'time', 'interval']);

/** Lower-case words of a column name: split at separators, camelCase humps and letter/digit boundaries. */
export function nameWords(name: string): string[] {
  return name
    .replace(/([a-z0-9])([A-Z])/g, '$1 $2')
    .replace(/([A-Z]+)([A-Z][a-z])/g, '$1 $2')
    .replace(/([A-Za-z])(?=[0-9])/g, '$1 ')
    .replace(/([0-9])(?=[A-Za-z])/g, '$1 ')
    .toLowerCase()
    .split(/[^a-z0-9]+/)
    .filter(Boolean);
}

/** Index of the last word of the first match of `phrase`, or -1. */
function matchEnd(words: string[], phrase: string, mode: Mode): number {
  for (let i = 0; i < words.length; i++) {
    const w = words[i]!;
    if ((mode === 'end' && w.endsWith(phrase)) || (mode === 'inside' && w.includes(phrase))) return i;
    let run = '';
    for (let j = i; j < words.length && run.length < phrase.length; j++) {
      run += words[j];
      if (run === phrase) return j;
    }
  }
  return -1;
}

/**
 * Why a column name looks like a secret or a sensitive identifier, or null. Name only: see
 * sensitiveColumnReason for the column-aware rule.
 */
export function sensitiveNameReason(name: string): string | null {
  const words = nameWords(name);
  if (words.length === 0 || (FLAG_FIRST.has(words[0]!) && words.length > 1)) return null;
  const last = words.length - 1;
  for (const rule of RULES) {
    for (const phrase of rule.phrases) {
      const end = matchEnd(words, phrase, rule.mode);
      if (end < 0 || (end < last && METADATA_LAST.has(words[last]!))) continue;
      return `the name "${name}" suggests ${rule.what}`;
    }
  }
  return null;
}

/** sensitiveNameReason, except for types that cannot hold a secret's value (booleans, dates, times). */
export function sensitiveColumnReason(column: Pick<IntrospectedColumn, 'name' | 'typeFamily'>): string | null {
  return NO_SECRET_FAMILIES.has(column.typeFamily) ? null : sensitiveNameReason(column.name);
}
