/**
 * A server process the bench starts and owns: foreground, inside a bench namespace, in a CPU
 * accounting cgroup of its own, ready once its socket is listening, and stopped with everything it
 * forked (in.tftpd's per-transfer children, nginx's workers), never anything else.
 */
import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { CpuAccount } from './cpu-account.js';
import { inNetns, run, startDaemon, stopDaemon } from './exec.js';
import { netPrefix } from './netns.js';
import { processTree, treeCpuSeconds } from './procstat.js';

export interface OwnedServer {
  name: string;
  pid: number;
  /** CPU seconds of the server and all it ever forked (cgroup), or of the live tree (/proc fallback). */
  cpuSeconds(): number;
  /** Last lines the server printed. */
  output(): string;
  stop(): Promise<void>;
}

async function listening(ns: string, proto: 'udp' | 'tcp', ip: string, port: number): Promise<boolean> {
  const r = await run(inNetns(ns, ['ss', proto === 'udp' ? '-Hnlu' : '-Hntl', `sport = :${port}`]));
  return r.stdout.includes(`${ip}:${port}`);
}

export async function startOwnedServer(o: { name: string; argv: string[]; ns: string; ip: string; port: number; proto: 'udp' | 'tcp'; cwd: string }): Promise<OwnedServer> {
  const account = CpuAccount.create(`${netPrefix}-${o.name}`);
  const argv = inNetns(o.ns, o.argv);
  const child: ChildProcess = startDaemon(account ? account.wrapArgv(argv) : argv, { cwd: o.cwd });
  let output = '';
  const keep = (d: Buffer) => { output = (output + d.toString()).slice(-4000); };
  child.stdout?.on('data', keep);
  child.stderr?.on('data', keep);
  const pid = child.pid as number;
  const stop = async () => {
    const tree = processTree(pid);
    await stopDaemon(child, 3000);
    // Whatever it forked and left behind (a transfer child still waiting for an ACK) goes too.
    const leftovers = new Set(tree.slice(1));
    if (account) {
      try {
        for (const p of readFileSync(`${account.dir}/cgroup.procs`, 'utf8').split('\n')) if (p) leftovers.add(Number(p));
      } catch {
        // cgroup gone
      }
    }
    for (const p of leftovers) {
      try {
        process.kill(p, 'SIGKILL');
      } catch {
        // already exited
      }
    }
    if (account) {
      for (let i = 0; i < 20; i++) {
        account.remove();
        try {
          readFileSync(`${account.dir}/cgroup.procs`);
        } catch {
          break;
        }
        await new Promise((r) => setTimeout(r, 50));
      }
    }
  };
  for (let i = 0; i < 150; i++) {
    if (child.exitCode !== null || child.signalCode !== null) break;
    if (await listening(o.ns, o.proto, o.ip, o.port)) {
      return {
        name: o.name, pid,
        cpuSeconds: () => (account ? account.seconds() : treeCpuSeconds(pid)),
        output: () => output.trim(),
        stop,
      };
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  await stop();
  throw new Error(`${o.name} did not start listening on ${o.proto} ${o.ip}:${o.port}: ${output.trim().split('\n').slice(-3).join(' | ') || 'no output'}`);
}
