/**
 * Process helpers for the benchmarks: run a command to completion, run one inside a network
 * namespace (nsenter, which is lighter than `ip netns exec`: no mount namespace, no /sys remount),
 * and keep a list of every long-lived child so that a crash or Ctrl-C still kills them all.
 */
import { spawn, spawnSync, type ChildProcess, type SpawnOptions } from 'node:child_process';

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs argv to completion, collecting output (kept short: the last 64 KiB of each stream). */
export function run(argv: readonly string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<RunResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    if (cmd === undefined) throw new Error('run: empty argv');
    const child = spawn(cmd, args, { ...options, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    const keep = (s: string) => (s.length > 65536 ? s.slice(-65536) : s);
    child.stdout?.on('data', (d: Buffer) => { stdout = keep(stdout + d.toString()); });
    child.stderr?.on('data', (d: Buffer) => { stderr = keep(stderr + d.toString()); });
    let timer: NodeJS.Timeout | undefined;
    if (options.timeoutMs !== undefined) timer = setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.on('error', (err) => {
      if (timer) clearTimeout(timer);
      resolve({ code: 127, signal: null, stdout, stderr: stderr + String(err) });
    });
    child.on('close', (code, signal) => {
      if (timer) clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/** Runs argv and throws (with its stderr) unless it exits 0. */
export async function must(argv: readonly string[], options: SpawnOptions & { timeoutMs?: number } = {}): Promise<string> {
  const r = await run(argv, options);
  if (r.code !== 0) throw new Error(`${argv.join(' ')} failed (exit ${r.code ?? r.signal}): ${r.stderr.trim().split('\n').slice(-3).join(' | ')}`);
  return r.stdout;
}

/** argv that runs `argv` inside network namespace `ns` (created with `ip netns add`). */
export function inNetns(ns: string | undefined, argv: readonly string[]): string[] {
  return ns === undefined ? [...argv] : ['nsenter', `--net=/run/netns/${ns}`, '--', ...argv];
}

const children = new Set<ChildProcess>();

/** Starts a long-lived child that is killed on exit of the bench, whatever the reason. */
export function startDaemon(argv: readonly string[], options: SpawnOptions = {}): ChildProcess {
  const [cmd, ...args] = argv;
  if (cmd === undefined) throw new Error('startDaemon: empty argv');
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  children.add(child);
  child.on('exit', () => children.delete(child));
  return child;
}

/** Sends SIGTERM, then SIGKILL after `graceMs`; resolves once the child has exited. */
export function stopDaemon(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    child.once('exit', () => { clearTimeout(timer); resolve(); });
    child.kill('SIGTERM');
  });
}

/** Synchronous last resort (process 'exit'): SIGKILL every child still running. */
export function killAllDaemonsSync(): void {
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
}

/** Synchronous command for exit handlers (ignores failures). */
export function runSyncQuiet(argv: readonly string[]): void {
  const [cmd, ...args] = argv;
  if (cmd !== undefined) spawnSync(cmd, args, { stdio: 'ignore' });
}
