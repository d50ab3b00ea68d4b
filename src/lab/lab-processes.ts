/**
 * Processes the firmware lab starts (dnsmasq, tcpdump, the responder, QEMU), each tracked by PID so
 * teardown stops exactly what the lab started and nothing else. A command runs inside a network
 * namespace through `ip netns exec NS cmd …`, which execs `cmd`: the child's PID is the command's
 * own PID, not a shell's (docs/lab-notes.md, "Track the command's own PID, not a shell's"). stdout
 * and stderr go to files under the lab's log dir, and line handlers can follow them live (the
 * responder's JSON log, tcpdump's packet lines).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** How a tracked process ended. */
export interface ProcessExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process started by the lab. */
export interface LabProcess {
  /** Short label, also the stem of its log files (`<name>.stdout.log`, `<name>.stderr.log`). */
  readonly name: string;
  readonly pid: number;
  readonly child: ChildProcess;
  readonly stdoutPath: string;
  readonly stderrPath: string;
  /** Resolves when the process has exited (never rejects). */
  readonly exited: Promise<ProcessExit>;
  /** Set once the process has exited. */
  exit: ProcessExit | null;
}

/** What to start. */
export interface StartOptions {
  name: string;
  argv: string[];
  /** Network namespace to run in; the root namespace when absent. */
  netns?: string;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  onStdoutLine?: (line: string) => void;
  onStderrLine?: (line: string) => void;
}

/** The full argv, wrapped in `ip netns exec` when a namespace is given. */
export function namespacedArgv(argv: string[], netns?: string): string[] {
  return netns === undefined ? argv : ['ip', 'netns', 'exec', netns, ...argv];
}

/** Starts processes and remembers them until they are stopped. */
export class ProcessTracker {
  private readonly live = new Map<number, LabProcess>();

  constructor(private readonly logDir: string) {}

  /** Every process started and not yet seen to exit. */
  running(): LabProcess[] {
    return [...this.live.values()];
  }

  start(options: StartOptions): LabProcess {
    const full = namespacedArgv(options.argv, options.netns);
    const [cmd, ...args] = full;
    if (cmd === undefined) throw new Error('ProcessTracker.start: empty argv');
    const child = spawn(cmd, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (child.pid === undefined) {
      throw new Error(`could not start ${cmd} (${options.name}); is it installed? Run 'bash scripts/install-deps.sh' as root`);
    }
    const stdoutPath = join(this.logDir, `${options.name}.stdout.log`);
    const stderrPath = join(this.logDir, `${options.name}.stderr.log`);
    follow(child.stdout, stdoutPath, options.onStdoutLine);
    follow(child.stderr, stderrPath, options.onStderrLine);
    let resolveExit: (e: ProcessExit) => void = () => {};
    const exited = new Promise<ProcessExit>((resolve) => { resolveExit = resolve; });
    const proc: LabProcess = { name: options.name, pid: child.pid, child, stdoutPath, stderrPath, exited, exit: null };
    child.on('error', () => { /* reported through 'exit'/'close'; spawn failures set pid undefined above */ });
    child.on('exit', (code, signal) => {
      proc.exit = { code, signal };
      this.live.delete(proc.pid);
      resolveExit(proc.exit);
    });
    this.live.set(proc.pid, proc);
    return proc;
  }

  /** SIGTERM, then SIGKILL after `graceMs`; resolves when the process is gone. */
  async stop(proc: LabProcess, graceMs = 3000): Promise<ProcessExit> {
    if (proc.exit) return proc.exit;
    signal(proc.pid, 'SIGTERM');
    const timer = setTimeout(() => signal(proc.pid, 'SIGKILL'), graceMs);
    const result = await proc.exited;
    clearTimeout(timer);
    return result;
  }

  /** Stops every tracked process, newest first (QEMU before the servers it talks to). */
  async stopAll(graceMs = 3000): Promise<void> {
    const procs = this.running().reverse();
    await Promise.all(procs.map((p) => this.stop(p, graceMs)));
  }

  /** For a process 'exit' hook, where nothing asynchronous runs: SIGKILL every tracked PID. */
  killAllSync(): void {
    for (const proc of this.live.values()) signal(proc.pid, 'SIGKILL');
  }
}

function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    // Already gone (ESRCH): nothing to stop.
  }
}

function follow(stream: NodeJS.ReadableStream | null, path: string, onLine?: (line: string) => void): void {
  if (!stream) return;
  const file = createWriteStream(path);
  stream.pipe(file);
  if (onLine) {
    const lines = createInterface({ input: stream, crlfDelay: Infinity });
    lines.on('line', (line) => {
      try {
        onLine(line);
      } catch {
        // A watcher's bug must not take the lab down; the line is still in the log file.
      }
    });
  }
}

/** Runs a short command to completion (for `ip` plumbing); throws with its stderr on failure. */
export function runChecked(argv: string[], netns?: string): string {
  const full = namespacedArgv(argv, netns);
  const [cmd, ...args] = full;
  if (cmd === undefined) throw new Error('runChecked: empty argv');
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) throw new Error(`${full.join(' ')}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${full.join(' ')} failed (exit ${r.status}): ${(r.stderr ?? '').trim()}`);
  return r.stdout ?? '';
}

/** Like runChecked but never throws (teardown paths): returns whether it succeeded. */
export function runQuiet(argv: string[], netns?: string): boolean {
  const full = namespacedArgv(argv, netns);
  const [cmd, ...args] = full;
  if (cmd === undefined) return false;
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return !r.error && r.status === 0;
}
