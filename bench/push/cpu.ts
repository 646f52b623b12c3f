/**
 * CPU seconds per part of the stack, so figures stay readable on a busy machine: this
 * process (API + worker + benchmark; + emulator when inline), the emulator process, the
 * Temporal dev server, the PostgreSQL backends serving the benchmark's databases, and with
 * `--engine mariadb` the whole MariaDB server process (its connections are threads of one
 * process, so other clients of the same server count too).
 * Linux only (/proc); elsewhere only this process is measured.
 */
import { readFileSync } from 'node:fs';
import type { SourceSql } from './stack.ts';

const CLK_TCK = 100;

export interface CpuSeconds {
  syncbridge: number;
  emulator: number | null;
  temporal: number | null;
  postgres: number | null;
  /** The MariaDB server process (`--engine mariadb` with a local server); null otherwise. */
  mariadb: number | null;
}

/** utime + stime of a process, in seconds; null when it cannot be read (gone, not Linux). */
function procCpu(pid: number): number | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may contain spaces: fields count from after ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return null;
  }
}

export class CpuMeter {
  /** Highest CPU time seen per PostgreSQL backend pid, and what was already counted. */
  private readonly backends = new Map<number, { first: number; last: number }>();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly pids: { emulator: number | null; temporal: number | null; mariadb?: number | null; worker?: number | null },
    /** Lists the backends of the benchmark's databases (through any connection to the server). */
    private readonly sql: SourceSql,
    private readonly databases: string[],
  ) {}

  /** Backends come and go with the pools: sample them often enough to see most of their time. */
  start(intervalMs = 1000) {
    this.timer = setInterval(() => void this.sampleBackends().catch(() => {}), intervalMs);
    this.timer.unref();
  }

  stop() {
    clearInterval(this.timer);
  }

  private async sampleBackends() {
    const rows = await this.sql<Array<{ pid: number }>>`select pid from pg_stat_activity where datname = any(${this.databases}::text[])`;
    for (const { pid } of rows) {
      const cpu = procCpu(pid);
      if (cpu === null) continue;
      const seen = this.backends.get(pid);
      if (seen) seen.last = Math.max(seen.last, cpu);
      else this.backends.set(pid, { first: cpu, last: cpu });
    }
  }

  async read(): Promise<CpuSeconds> {
    await this.sampleBackends().catch(() => {});
    const own = process.cpuUsage();
    const pg = [...this.backends.values()].reduce((sum, b) => sum + (b.last - b.first), 0);
    return {
      // API + worker: with the worker in a process of its own, its CPU time too.
      syncbridge: (own.user + own.system) / 1e6 + (this.pids.worker ? (procCpu(this.pids.worker) ?? 0) : 0),
      emulator: this.pids.emulator === null ? null : procCpu(this.pids.emulator),
      temporal: this.pids.temporal === null ? null : procCpu(this.pids.temporal),
      postgres: process.platform === 'linux' ? pg : null,
      mariadb: this.pids.mariadb == null ? null : procCpu(this.pids.mariadb),
    };
  }
}

export function cpuDiff(after: CpuSeconds, before: CpuSeconds): CpuSeconds {
  const d = (a: number | null, b: number | null) => (a === null || b === null ? null : a - b);
  return {
    syncbridge: after.syncbridge - before.syncbridge,
    emulator: d(after.emulator, before.emulator),
    temporal: d(after.temporal, before.temporal),
    postgres: d(after.postgres, before.postgres),
    mariadb: d(after.mariadb, before.mariadb),
  };
}

/** Peak resident memory of a process in MB (VmHWM), null when unreadable. */
export function peakRssMb(pid: number | null): number | null {
  if (pid === null) return null;
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb === undefined ? null : Math.round(Number(kb) / 1024);
  } catch {
    return null;
  }
}
