/**
 * CPU time of a process and all its descendants, from /proc (Linux only):
 * for the private Postgres, the postmaster and every backend, walsender and
 * background worker it forked.
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ: 100 on Linux, which Node cannot ask). */
const TICKS_PER_SECOND = 100;

interface Stat {
  readonly ppid: number;
  /** utime + stime */
  readonly own: number;
  /** cutime + cstime: children that exited and were waited for. */
  readonly reaped: number;
}

function readStat(pid: string): Stat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
  // Fields after "(comm)": state ppid ... utime(14) stime(15) cutime(16) cstime(17), 1-based in proc(5).
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    ppid: Number(fields[1]),
    own: Number(fields[11]) + Number(fields[12]),
    reaped: Number(fields[13]) + Number(fields[14]),
  };
}

/**
 * Milliseconds of CPU (user + system) spent so far by `rootPid` and its
 * descendants, counting children that already exited (their time is in their
 * parent's cutime/cstime). The difference of two readings is the CPU spent in
 * between, backends that came and went included. Resolution: 10 ms.
 */
export function processTreeCpuMs(rootPid: number): number {
  const stats = new Map<number, Stat>();
  for (const pid of readdirSync('/proc')) {
    if (!/^\d+$/.test(pid)) continue;
    const stat = readStat(pid);
    if (stat !== undefined) stats.set(Number(pid), stat);
  }
  const childrenOf = new Map<number, number[]>();
  for (const [pid, stat] of stats) {
    const list = childrenOf.get(stat.ppid) ?? [];
    list.push(pid);
    childrenOf.set(stat.ppid, list);
  }
  let ticks = 0;
  const pending = [rootPid];
  for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
    const stat = stats.get(pid);
    if (stat === undefined) continue;
    ticks += stat.own + stat.reaped;
    pending.push(...(childrenOf.get(pid) ?? []));
  }
  return (ticks * 1000) / TICKS_PER_SECOND;
}
