/**
 * CPU spent by process between two moments, read from /proc (Linux only): this
 * process's own, and that of every `postgres` and `redis-server` process on the
 * machine. On cores that Node, Postgres and Redis share, CPU that Node spends
 * per call is CPU Postgres does not get.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** CPU time, in µs, of this process, of the Postgres processes and of the redis-servers. */
export interface CpuByProcess {
  readonly node: number;
  readonly postgres: number;
  readonly redis: number;
}

type ServerKind = 'postgres' | 'redis';

/** CPU ticks so far of each Postgres and redis-server process, by pid, and this process's own CPU. */
export interface CpuSnapshot {
  readonly ownUs: number;
  readonly ticks: ReadonlyMap<string, { readonly kind: ServerKind; readonly ticks: number }>;
}

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux, which Node cannot ask). */
const TICKS_PER_SECOND = 100;

/** A snapshot for `cpuSince` (Linux only: `undefined` without /proc). */
export function cpuSnapshot(): CpuSnapshot | undefined {
  if (!existsSync('/proc/self/stat')) return undefined;
  const ticks = new Map<string, { readonly kind: ServerKind; readonly ticks: number }>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    } catch {
      continue; // exited meanwhile
    }
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    const kind = name.startsWith('postgres')
      ? 'postgres'
      : name.startsWith('redis-server')
        ? 'redis'
        : undefined;
    if (kind === undefined) continue;
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks.set(pid, { kind, ticks: Number(fields[11]) + Number(fields[12]) }); // utime + stime
  }
  const own = process.cpuUsage();
  return { ownUs: own.user + own.system, ticks };
}

/**
 * Where the CPU went between two snapshots. Every Postgres and redis-server
 * process on the machine counts, whoever's load it serves; a process that
 * exited in between is missed.
 */
export function cpuSince(before: CpuSnapshot, after: CpuSnapshot): CpuByProcess {
  const spent = { postgres: 0, redis: 0 };
  for (const [pid, now] of after.ticks) spent[now.kind] += now.ticks - (before.ticks.get(pid)?.ticks ?? 0);
  const us = 1_000_000 / TICKS_PER_SECOND;
  return { node: after.ownUs - before.ownUs, postgres: spent.postgres * us, redis: spent.redis * us };
}
