import { describe, expect, it } from 'vitest';
import { nameWords, sensitiveColumnReason, sensitiveNameReason } from '../../src/mapping/sensitive.ts';

const FLAGGED = [
  'password',
  'Password',
  'PASSWORD',
  'passwd',
  'pwd',
  'user_pwd',
  'password_hash',
  'PasswordHash',
  'passwordhash',
  'HashedPassword',
  'encrypted_password',
  'pass_hash',
  'passHash',
  'password_salt',
  'salt',
  'passphrase',
  'passcode',
  'secret',
  'client_secret',
  'clientSecret',
  'otp_secret',
  'secret_key',
  'api_key',
  'apikey',
  'apiKey',
  'APIKey',
  'API_KEY',
  'private_key',
  'access_key',
  'token',
  'access_token',
  'refresh_token',
  'api_token',
  'reset_password_token',
  'authToken',
  'remember_token',
  'credentials',
  'otp',
  'totp_seed',
  'recovery_codes',
  'pin',
  'pin_code',
  'card_pin',
  'ssn',
  'customer_ssn',
  'SSN',
  'social_security_number',
  'socialSecurityNumber',
  'tax_id',
  'TaxId',
  'national_id',
  'NationalIDNumber',
  'passport_number',
  'credit_card',
  'credit_card_number',
  'CreditCardNumber',
  'card_number',
  'CardNumber',
  'cardnumber',
  'cvv',
  'cvv2',
  'CVC',
  'iban',
  'bank_account',
];

const NOT_FLAGGED = [
  // Words that merely contain a flagged word's letters.
  'hashtag',
  'hashtags',
  'passenger',
  'passengers',
  'spinach',
  'opinion',
  'pinned',
  'shipping',
  'secretary',
  'secretariat',
  'tokenizer',
  'compass',
  'bypass_cache',
  'classnames',
  'syntax_id',
  'keyword',
  'basalt',
  'topinambur',
  'pinyin',
  'spin',
  'pinnacle',
  // Counts of tokens (LLM usage), not tokens.
  'tokens_used',
  'tokens',
  'total_tokens',
  'max_tokens',
  'prompt_tokens',
  // Hashes and keys that are not secrets.
  'hash',
  'content_hash',
  'row_hash',
  'primary_key',
  'sort_key',
  'idempotency_key',
  'key',
  // Facts about a secret, not the secret.
  'password_changed_at',
  'password_updated_at',
  'token_expires_at',
  'token_count',
  'token_type',
  'api_key_id',
  'pin_attempts',
  'credit_card_type',
  'password_hash_algorithm',
  'has_password',
  'is_pin_set',
  'requires_token',
  // Ordinary columns.
  'id',
  'name',
  'email',
  'price',
  'updated_at',
  'description',
];

describe('sensitiveNameReason', () => {
  it.each(FLAGGED)('flags %s', (name) => {
    expect(sensitiveNameReason(name)).toMatch(new RegExp(`^the name "${name}" suggests `));
  });

  it.each(NOT_FLAGGED)('does not flag %s', (name) => {
    expect(sensitiveNameReason(name)).toBeNull();
  });

  it('says what the column looks like', () => {
    expect(sensitiveNameReason('password_hash')).toBe('the name "password_hash" suggests a password or its hash');
    expect(sensitiveNameReason('api_token')).toBe('the name "api_token" suggests an access token');
    expect(sensitiveNameReason('ssn')).toBe('the name "ssn" suggests a national identifier');
    expect(sensitiveNameReason('card_number')).toBe('the name "card_number" suggests payment card data');
  });
});

describe('sensitiveColumnReason', () => {
  it('never flags types that cannot hold a secret value', () => {
    expect(sensitiveColumnReason({ name: 'password_reset', typeFamily: 'timestamptz' })).toBeNull();
    expect(sensitiveColumnReason({ name: 'password', typeFamily: 'boolean' })).toBeNull();
    expect(sensitiveColumnReason({ name: 'token', typeFamily: 'date' })).toBeNull();
  });

  it('flags secrets stored as text, bytes, json or numbers', () => {
    for (const typeFamily of ['text', 'bytea', 'jsonb', 'integer', 'bigint', 'uuid'] as const) {
      expect(sensitiveColumnReason({ name: 'pin', typeFamily }), typeFamily).not.toBeNull();
    }
  });
});

describe('nameWords', () => {
  it('splits separators, camelCase humps, acronyms and digits', () => {
    expect(nameWords('APIKey')).toEqual(['api', 'key']);
    expect(nameWords('socialSecurityNumber')).toEqual(['social', 'security', 'number']);
    expect(nameWords('cvv2')).toEqual(['cvv', '2']);
    expect(nameWords('card-last4 digits')).toEqual(['card', 'last', '4', 'digits']);
    expect(nameWords('__')).toEqual([]);
  });
});
