import type { IdentifierRules } from './connector.ts';

/**
 * The longest name the API accepts before it knows the engine: the largest limit of any engine
 * SyncBridge may be pointed at (SQL Server's 128). The engine's own limit (IdentifierRules) is
 * checked once the definition's database is known.
 */
export const MAX_IDENTIFIER_LENGTH = 128;

/** Why `name` cannot be an identifier of this engine, or null when it can. */
export function identifierProblem(rules: IdentifierRules, engineName: string, name: string): string | null {
  const length = rules.unit === 'bytes' ? Buffer.byteLength(name, 'utf8') : [...name].length;
  if (length > rules.maxLength) {
    return `is ${length} ${rules.unit} long; ${engineName} names are at most ${rules.maxLength} ${rules.unit}${rules.unit === 'bytes' ? ' (UTF-8)' : ''}`;
  }
  try {
    rules.quote(name);
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
  return null;
}
