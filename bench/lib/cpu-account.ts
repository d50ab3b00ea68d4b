/**
 * Exact CPU time of a server and everything it forks, through a cgroup of its own (cgroup v1
 * cpuacct.usage, or cgroup v2 cpu.stat usage_usec). /proc alone misses children that a server
 * lets the kernel reap (in.tftpd forks one child per transfer and ignores SIGCHLD, so their time
 * never reaches its cutime). The server is put into the cgroup before it execs (see wrapArgv), so
 * workers forked at start-up (nginx) are counted too. Falls back to /proc when no cgroup is writable.
 */
import { existsSync, mkdirSync, readFileSync, rmdirSync } from 'node:fs';
import { join } from 'node:path';

interface Flavour { base: string; read(dir: string): number }

function flavour(): Flavour | null {
  const v1 = '/sys/fs/cgroup/cpuacct';
  if (existsSync(join(v1, 'cpuacct.usage'))) return { base: v1, read: (d) => Number(readFileSync(join(d, 'cpuacct.usage'), 'utf8')) / 1e9 };
  for (const v2 of ['/sys/fs/cgroup/unified', '/sys/fs/cgroup']) {
    if (existsSync(join(v2, 'cgroup.controllers'))) {
      return { base: v2, read: (d) => Number(/usage_usec (\d+)/.exec(readFileSync(join(d, 'cpu.stat'), 'utf8'))?.[1] ?? NaN) / 1e6 };
    }
  }
  return null;
}

const made = new Set<string>();

export class CpuAccount {
  private constructor(readonly dir: string, private readonly f: Flavour) {}

  /** A fresh cgroup named `name`, or null when cgroups are not writable here. */
  static create(name: string): CpuAccount | null {
    const f = flavour();
    if (!f) return null;
    const dir = join(f.base, name);
    try {
      if (!existsSync(dir)) mkdirSync(dir);
      made.add(dir);
      f.read(dir);
      return new CpuAccount(dir, f);
    } catch {
      return null;
    }
  }

  /** argv that joins this cgroup and then execs `argv` (same pid, so the caller's pid stays right). */
  wrapArgv(argv: readonly string[]): string[] {
    return ['sh', '-c', 'echo $$ > "$0/cgroup.procs" && exec "$@"', this.dir, ...argv];
  }

  /** CPU seconds used by every process that was ever in the cgroup. */
  seconds(): number {
    try {
      return this.f.read(this.dir);
    } catch {
      return NaN;
    }
  }

  /** Removes the cgroup (it must be empty: call after the server exited). */
  remove(): void {
    try {
      rmdirSync(this.dir);
      made.delete(this.dir);
    } catch {
      // still has a process; removeAllSync retries at exit
    }
  }
}

/** Exit-handler fallback: SIGKILL whatever is still in our cgroups (only servers we started), then remove them. */
export function removeAllCpuAccountsSync(): void {
  for (const dir of made) {
    try {
      for (const p of readFileSync(join(dir, 'cgroup.procs'), 'utf8').split('\n')) if (p) process.kill(Number(p), 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const dir of made) {
    try {
      rmdirSync(dir);
    } catch {
      // ignore
    }
  }
  made.clear();
}
