/**
 * What a server process costs, read from /proc (Linux): CPU seconds (utime+stime of the process and
 * of its live descendants, plus cutime+cstime of children it already reaped: in.tftpd forks one
 * child per transfer, nginx has workers) and peak memory: for a single process its VmHWM (which
 * `echo 5 > clear_refs` resets between rows); for a process tree the sampled sum of PSS (RSS would
 * count the pages a forked child shares with its parent once per child).
 */
import { readFileSync, writeFileSync } from 'node:fs';

const ticksPerSecond = 100; // USER_HZ on Linux

function readText(path: string): string | null {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return null;
  }
}

/** The pid and every live descendant. */
export function processTree(pid: number): number[] {
  const out: number[] = [];
  const queue = [pid];
  while (queue.length > 0) {
    const p = queue.shift() as number;
    out.push(p);
    const tasks = readText(`/proc/${p}/task/${p}/children`);
    if (tasks === null) continue;
    for (const child of tasks.trim().split(/\s+/)) if (child !== '') queue.push(Number(child));
  }
  return out;
}

function statFields(pid: number): string[] | null {
  const text = readText(`/proc/${pid}/stat`);
  if (text === null) return null;
  // Field 2 (comm) may contain spaces: split after its closing parenthesis.
  return text.slice(text.lastIndexOf(')') + 2).trim().split(' ');
}

/** CPU seconds used so far by the tree rooted at pid (see the header). */
export function treeCpuSeconds(pid: number): number {
  let ticks = 0;
  for (const p of processTree(pid)) {
    const f = statFields(p);
    if (!f) continue;
    // After "pid (comm) ": state is index 0, utime 11, stime 12, cutime 13, cstime 14.
    ticks += Number(f[11]) + Number(f[12]);
    if (p === pid) ticks += Number(f[13]) + Number(f[14]);
  }
  return ticks / ticksPerSecond;
}

function statusKiB(pid: number, field: 'VmRSS' | 'VmHWM'): number {
  const text = readText(`/proc/${pid}/status`);
  const m = text === null ? null : new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) : 0;
}

function pssKiB(pid: number): number {
  const text = readText(`/proc/${pid}/smaps_rollup`);
  const m = text === null ? null : /^Pss:\s+(\d+) kB/m.exec(text);
  return m ? Number(m[1]) : statusKiB(pid, 'VmRSS');
}

/** Memory of the tree, bytes: VmRSS of a lone process, else the sum of PSS. */
export function treeRssBytes(pid: number): number {
  const tree = processTree(pid);
  if (tree.length === 1) return statusKiB(pid, 'VmRSS') * 1024;
  return tree.reduce((sum, p) => sum + pssKiB(p) * 1024, 0);
}

/** Tracks the peak memory of a process tree between start() and stop(). */
export class PeakRssSampler {
  #timer: NodeJS.Timeout | undefined;
  #peak = 0;
  constructor(readonly pid: number, readonly intervalMs = 50) {}

  start(): void {
    // Reset the kernel's high-water mark (proc(5): clear_refs value 5) so VmHWM covers this row only.
    for (const p of processTree(this.pid)) {
      try {
        writeFileSync(`/proc/${p}/clear_refs`, '5');
      } catch {
        // exited meanwhile
      }
    }
    this.#peak = treeRssBytes(this.pid);
    this.#timer = setInterval(() => { this.#peak = Math.max(this.#peak, treeRssBytes(this.pid)); }, this.intervalMs);
    this.#timer.unref();
  }

  /** Peak bytes: the larger of the sampled tree memory and the root's exact VmHWM. */
  stop(): number {
    if (this.#timer) clearInterval(this.#timer);
    this.#timer = undefined;
    return Math.max(this.#peak, treeRssBytes(this.pid), statusKiB(this.pid, 'VmHWM') * 1024);
  }
}
