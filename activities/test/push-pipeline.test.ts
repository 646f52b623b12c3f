import { describe, expect, it } from 'vitest';
import { CommitPipeline } from '../src/push/pipeline.ts';

const tick = () => new Promise((r) => setImmediate(r));

describe('overlapping pages (CommitPipeline)', () => {
  it('lets a page with other keys read the ledger while earlier pages are written and committed', async () => {
    const p = new CommitPipeline(false);
    const a = p.track(['k1', 'k2']);
    await expect(p.beforeLedgerRead(['k3', 'k4'])).resolves.toBeUndefined();
    a.done();
  });

  it('makes a page that shares a key with an earlier page in flight wait for that page to be committed', async () => {
    const log: string[] = [];
    const p = new CommitPipeline(false);
    const a = p.track(['k1', 'k2']);
    const b = p.track(['k5']);
    const reading = p.beforeLedgerRead(['k9', 'k2']).then(() => log.push('C reads the ledger'));
    await tick();
    // B (other keys) committing changes nothing for C.
    b.done();
    await tick();
    expect(log).toEqual([]);
    log.push('A committed');
    a.done();
    await reading;
    expect(log).toEqual(['A committed', 'C reads the ledger']);
    // Once committed, a page holds nobody back.
    await expect(p.beforeLedgerRead(['k1'])).resolves.toBeUndefined();
  });

  it('always waits for every page in flight when the definition looks up its own rows', async () => {
    const log: string[] = [];
    const p = new CommitPipeline(true);
    const a = p.track(['k1']);
    const reading = p.beforeLedgerRead(['k2']).then(() => log.push('B reads the ledger'));
    await tick();
    expect(log).toEqual([]);
    a.done();
    await reading;
    expect(log).toEqual(['B reads the ledger']);
  });

  it('fails a page waiting for an earlier page whose commit failed', async () => {
    const p = new CommitPipeline(false);
    const a = p.track(['k1']);
    const reading = p.beforeLedgerRead(['k1']);
    a.done(new Error('the meta-store went away'));
    await expect(reading).rejects.toThrow('the meta-store went away');
  });

  it('runs one commit at a time, in page order; a failure surfaces at the next settle; drain never throws', async () => {
    const log: string[] = [];
    const p = new CommitPipeline(false);
    let finishA!: () => void;
    p.start(() => new Promise<void>((resolve) => (finishA = () => (log.push('A committed'), resolve()))));
    expect(() => p.start(async () => undefined)).toThrow(/in page order/);
    const next = p.settle().then(() => p.start(async () => void log.push('B committed')));
    await tick();
    expect(log).toEqual([]);
    finishA();
    await next;
    await p.settle();
    expect(log).toEqual(['A committed', 'B committed']);

    p.start(() => Promise.reject(new Error('the meta-store went away')));
    await expect(p.settle()).rejects.toThrow('the meta-store went away');
    p.start(() => Promise.reject(new Error('again')));
    await expect(p.drain()).resolves.toBeUndefined();
    await expect(p.settle()).resolves.toBeUndefined();
  });
});
