import { Writable } from 'node:stream';
import { DrizzleQueryError } from 'drizzle-orm';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/observability/logger.ts';

function capture() {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(chunk.toString());
      cb();
    },
  });
  return { lines, stream, logger: createLogger({ service: 't', destination: stream }) };
}

// What drizzle throws when a statement fails: the SQL, and every bound value in `params` and in the message.
const failedInsert = () =>
  new DrizzleQueryError(
    'insert into "database_instances" ("name", "password_encrypted", "email") values ($1, $2, $3)',
    ['primary', 'v1:S3cr3t-Cipher-Text', 'jane.doe@example.com'],
    Object.assign(new Error('duplicate key value violates unique constraint "database_instances_name_key"'), { code: '23505' }),
  );
const secrets = ['S3cr3t-Cipher-Text', 'jane.doe@example.com', 'primary'];

describe('logging a failed query', () => {
  it('keeps the SQL and the driver error but none of the bound parameters', () => {
    const { lines, logger } = capture();
    logger.error({ err: failedInsert() }, 'unhandled error');
    const out = lines.join('');
    for (const value of secrets) expect(out).not.toContain(value);
    const line = JSON.parse(out) as { err: { message: string; params: string; query: string; stack: string } };
    expect(line.err.query).toContain('insert into "database_instances"');
    expect(line.err.message).toContain('params: [3 not logged]');
    expect(line.err.message).toContain('duplicate key value');
    expect(line.err.params).toBe('[3 not logged]');
  });

  it('scrubs the Temporal SDK\'s "error" key and errors wrapped around a failed query', () => {
    const { lines, logger } = capture();
    logger.warn({ error: failedInsert() }, 'Activity failed');
    logger.error({ err: new Error('could not save the instance', { cause: failedInsert() }) }, 'unhandled error');
    const out = lines.join('');
    for (const value of secrets) expect(out).not.toContain(value);
    expect(out).toContain('[3 not logged]');
  });

  it('leaves other errors and plain error strings as they were', () => {
    const { lines, logger } = capture();
    logger.error({ err: new Error('boom'), error: 'source introspection failed: ECONNREFUSED' }, 'x');
    const line = JSON.parse(lines[0]!) as { err: { message: string }; error: string };
    expect(line.err.message).toBe('boom');
    expect(line.error).toBe('source introspection failed: ECONNREFUSED');
  });
});
