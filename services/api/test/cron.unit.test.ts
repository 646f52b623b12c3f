import { describe, expect, it } from 'vitest';
import { cronProblem } from '../src/lib/schedules.ts';

describe('schedule expressions: what Temporal takes, checked before anything is saved', () => {
  it('takes five standard fields, names, the @ shortcuts and @every of 10 s up to a year', () => {
    for (const ok of [
      '*/5 * * * *',
      '0 3 * * *',
      '*/15 9-17 * * MON-FRI',
      '0 12 1,15 JAN,JUL *',
      '0 0 ? * 1',
      '30 2 29 2 *',
      '@hourly',
      '@daily',
      '@yearly',
      '@every 10s',
      '@every 1h30m',
      '@every 15m/5m',
      '@every 1.5h',
    ])
      expect(cronProblem(ok), ok).toBeNull();
  });

  it('refuses values out of their field, broken ranges, steps and lists, with the reason', () => {
    expect(cronProblem('61 * * * *')).toMatch(/minute/);
    expect(cronProblem('60 * * * *')).toMatch(/minute/);
    expect(cronProblem('* 24 * * *')).toMatch(/hour/);
    expect(cronProblem('* * 32 * *')).toMatch(/day/);
    expect(cronProblem('* * * 13 *')).toMatch(/month/);
    expect(cronProblem('* * * * 8')).toMatch(/dayOfWeek/);
    expect(cronProblem('*/0 * * * *')).toMatch(/stepping/);
    expect(cronProblem('5-1 * * * *')).toMatch(/larger/);
    expect(cronProblem('1,2,3,,4 * * * *')).toMatch(/empty/);
    expect(cronProblem('0-59/99999999999 * * * *')).toMatch(/steps/);
    expect(cronProblem('* * * *')).toMatch(/5 fields.*has 4/);
    expect(cronProblem('0 0 * * * *')).toMatch(/has 6/);
    expect(cronProblem('0 0 L * *')).toMatch(/"L" is not a month/);
    expect(cronProblem('0 0 * * 5#2')).toMatch(/cron field holds/);
    expect(cronProblem('0 0 * FOO *')).toMatch(/"FOO"/);
    expect(cronProblem('every minute')).toMatch(/has 2/);
  });

  it('refuses an expression that never fires', () => {
    expect(cronProblem('0 0 31 2 *')).toMatch(/never fires/);
    expect(cronProblem('0 0 30 2 *')).toMatch(/never fires/);
  });

  it('refuses @every below 10 s, above a year, or not a duration, and an offset as long as the interval', () => {
    for (const short of ['@every 1s', '@every 9s', '@every 1s2ms', '@every 1ns', '@every 0s']) expect(cronProblem(short), short).toMatch(/at least 10s/);
    expect(cronProblem('@every 99999999h')).toMatch(/at most a year/);
    expect(cronProblem('@every -1s')).toMatch(/not a duration/);
    expect(cronProblem('@every 5 minutes')).toMatch(/@every <duration>/);
    expect(cronProblem('@every 10m/10m')).toMatch(/offset/);
    expect(cronProblem('@weekdays')).toMatch(/one of/);
  });
});
