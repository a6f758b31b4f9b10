// CPU time of other processes, read from Linux's /proc: what a process and its descendants (nginx's
// workers, PostgreSQL's backends) have spent so far, so a benchmark can charge it to the calls made.
import { existsSync, readdirSync, readFileSync } from 'node:fs';

/** Linux's USER_HZ: /proc reports CPU time in ticks of 1/100 s on every architecture Node runs on. */
const TICKS_PER_SECOND = 100;

interface ProcessStat {
  readonly parent: number;
  /**
   * User plus system time of the process (all its threads) and of the children it has reaped, in
   * ticks: a PostgreSQL backend that exits during a run still counts, in the postmaster.
   */
  readonly ticks: number;
}

function readStat(pid: number): ProcessStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined; // exited meanwhile
  }
  // The command name (field 2) may contain spaces and parentheses: fields are counted after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  // After the name: state(3) ppid(4) ... utime(14) stime(15) cutime(16) cstime(17): indices 1, 11-14.
  const ticks = Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
  return { parent: Number(fields[1]), ticks };
}

/** Whether this machine has /proc to read CPU times from. */
export function canReadProcessCpu(): boolean {
  return existsSync('/proc/self/stat');
}

/**
 * CPU seconds (user + system) spent so far by the processes `roots` and all their descendants, the
 * living and those their parents have reaped (not those exited but not yet reaped). Reads every
 * /proc/<pid>/stat once.
 * @throws {Error} without /proc (check with `canReadProcessCpu`).
 */
export function processTreeCpuSeconds(roots: readonly number[]): number {
  if (!canReadProcessCpu()) throw new Error('processTreeCpuSeconds requires Linux /proc');
  const stats = new Map<number, ProcessStat>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = readStat(Number(name));
    if (stat) stats.set(Number(name), stat);
  }
  const children = new Map<number, number[]>();
  for (const [pid, { parent }] of stats) children.set(parent, [...(children.get(parent) ?? []), pid]);
  let ticks = 0;
  const pending = [...roots];
  const seen = new Set<number>();
  while (pending.length > 0) {
    const pid = pending.pop()!;
    if (seen.has(pid)) continue;
    seen.add(pid);
    ticks += stats.get(pid)?.ticks ?? 0;
    pending.push(...(children.get(pid) ?? []));
  }
  return ticks / TICKS_PER_SECOND;
}
