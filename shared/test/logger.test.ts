import { Writable } from 'node:stream';
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
  return { lines, stream };
}

describe('logger', () => {
  it('redacts secret-named fields even when a whole object is logged by mistake', () => {
    const { lines, stream } = capture();
    const logger = createLogger({ service: 't', destination: stream });
    logger.info(
      { instance: { password: 'pw-123' }, connection: { clientSecret: 'cs-456' }, headers: { authorization: 'Bearer sbk_x' }, password: 'top-level' },
      'oops',
    );
    const out = lines.join('');
    for (const secret of ['pw-123', 'cs-456', 'sbk_x', 'top-level']) expect(out).not.toContain(secret);
    expect(out).toContain('[REDACTED]');
    expect(JSON.parse(out)).toMatchObject({ level: 'info', service: 't', msg: 'oops' });
  });

  it('keeps child bindings such as the request id on every line', () => {
    const { lines, stream } = capture();
    createLogger({ service: 't', destination: stream }).child({ requestId: 'r-1' }).warn('careful');
    expect(JSON.parse(lines[0]!)).toMatchObject({ requestId: 'r-1', level: 'warn' });
  });
});
