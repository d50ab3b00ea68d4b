/**
 * One timed download by a real client process, and storms of many at once. Every download is
 * verified afterwards (size and sha256 against the manifest; a mismatch is a failure with a
 * reason), then deleted. Time runs from spawning the client to its exit, so it includes the
 * client's start-up (the same few milliseconds for every server).
 */
import { spawn } from 'node:child_process';
import { stat, unlink } from 'node:fs/promises';
import type { BenchFile } from './files.js';
import { sha256File } from './files.js';

export interface DownloadResult {
  ok: boolean;
  seconds: number;
  /** Why it failed (exit code, timeout, size or hash mismatch). */
  error?: string;
  /** Longest time the output file did not grow (only when watched). */
  longestStallMs?: number;
}

interface RawResult { code: number | null; signal: NodeJS.Signals | null; seconds: number; stderr: string; timedOut: boolean; endMs: number; startMs: number }

function runClient(argv: readonly string[], timeoutMs: number): Promise<RawResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    const startMs = performance.now();
    const child = spawn(cmd as string, args, { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => { stderr = (stderr + d.toString()).slice(-2000); });
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill('SIGKILL'); }, timeoutMs);
    const finish = (code: number | null, signal: NodeJS.Signals | null, extra = '') => {
      clearTimeout(timer);
      const endMs = performance.now();
      resolve({ code, signal, seconds: (endMs - startMs) / 1000, stderr: stderr + extra, timedOut, endMs, startMs });
    };
    child.on('error', (err) => finish(127, null, String(err)));
    child.on('close', (code, signal) => finish(code, signal));
  });
}

/** Checks the downloaded file against the manifest, deletes it, and returns an error string or null. */
export async function verifyAndDelete(local: string, expect: BenchFile): Promise<string | null> {
  try {
    const info = await stat(local).catch(() => null);
    if (!info) return 'no output file';
    if (info.size !== expect.size) return `size ${info.size} != ${expect.size}`;
    const sum = await sha256File(local);
    if (sum !== expect.sha256) return `sha256 mismatch (${sum.slice(0, 12)}…)`;
    return null;
  } finally {
    await unlink(local).catch(() => {});
  }
}

function describeExit(r: RawResult, timeoutMs: number): string | null {
  if (r.timedOut) return `timed out after ${timeoutMs / 1000} s`;
  if (r.code !== 0) return `exit ${r.code ?? r.signal}${r.stderr.trim() ? `: ${r.stderr.trim().split('\n').slice(-1)[0]}` : ''}`;
  return null;
}

export async function download(options: { argv: readonly string[]; local: string; expect: BenchFile; timeoutMs: number; watchProgress?: boolean }): Promise<DownloadResult> {
  const { local, expect, timeoutMs } = options;
  await unlink(local).catch(() => {});
  let longestStallMs: number | undefined;
  let watcher: NodeJS.Timeout | undefined;
  if (options.watchProgress) {
    let lastSize = -1;
    let lastGrowth = performance.now();
    longestStallMs = 0;
    watcher = setInterval(() => {
      stat(local).then((s) => {
        const now = performance.now();
        if (s.size !== lastSize) {
          lastSize = s.size;
          lastGrowth = now;
        } else if (s.size < expect.size) {
          longestStallMs = Math.max(longestStallMs ?? 0, now - lastGrowth);
        }
      }, () => {});
    }, 20);
  }
  const r = await runClient(options.argv, timeoutMs);
  if (watcher) clearInterval(watcher);
  const exitError = describeExit(r, timeoutMs);
  const verifyError = await verifyAndDelete(local, expect);
  const error = exitError ?? verifyError;
  return { ok: error === null, seconds: r.seconds, ...(error ? { error } : {}), ...(longestStallMs !== undefined ? { longestStallMs: Math.round(longestStallMs) } : {}) };
}

export interface StormResult {
  clients: number;
  failures: number;
  /** Distinct failure reasons with counts. */
  errors: Record<string, number>;
  /** Bytes verified / (last exit - first spawn). */
  aggregateMBps: number;
  seconds: number;
  /** Slowest single client. */
  maxClientSeconds: number;
}

/** Starts `n` clients at once (argvFor(i) writes to localFor(i)) and verifies every file. */
export async function storm(options: { n: number; argvFor(i: number): readonly string[]; localFor(i: number): string; expect: BenchFile; timeoutMs: number }): Promise<StormResult> {
  const { n, expect, timeoutMs } = options;
  const raws = await Promise.all(Array.from({ length: n }, (_, i) => runClient(options.argvFor(i), timeoutMs)));
  const first = Math.min(...raws.map((r) => r.startMs));
  const last = Math.max(...raws.map((r) => r.endMs));
  const errors: Record<string, number> = {};
  let good = 0;
  for (let i = 0; i < n; i++) {
    const raw = raws[i] as RawResult;
    const verifyError = await verifyAndDelete(options.localFor(i), expect);
    const error = describeExit(raw, timeoutMs) ?? verifyError;
    if (error === null) good++;
    else {
      const key = error.replace(/\d+/g, 'N').slice(0, 120);
      errors[key] = (errors[key] ?? 0) + 1;
    }
  }
  const seconds = (last - first) / 1000;
  return {
    clients: n, failures: n - good, errors, seconds,
    aggregateMBps: (good * expect.size) / 1e6 / seconds,
    maxClientSeconds: Math.max(...raws.map((r) => r.seconds)),
  };
}
