/** Small statistics and formatting helpers shared by the TFTP and HTTP benches. */

export function median(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

export function fmt(n: number, digits = 1): string {
  if (!Number.isFinite(n)) return '–';
  // Small values keep two significant digits (a lossy download at 0.04 MB/s is not "0.0").
  if (n !== 0 && Math.abs(n) < 1 && digits < 2) return n.toPrecision(2);
  return n.toFixed(digits);
}

export function mb(bytes: number): string {
  return `${Math.round(bytes / (1024 * 1024))}`;
}

/** Rotates a list by `k` (each round starts with a different server, so order effects cancel). */
export function rotate<T>(list: readonly T[], k: number): T[] {
  const n = list.length;
  if (n === 0) return [];
  const s = ((k % n) + n) % n;
  return [...list.slice(s), ...list.slice(0, s)];
}

/** A Markdown table. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export interface TargetCheck {
  /** What the issue asks, e.g. "lock-step ≥ 1.0× best C server". */
  goal: string;
  /** Where it was measured, e.g. "loopback 32 MiB curl". */
  where: string;
  measured: string;
  /** null: could not be checked (peerboot not available, or the row was not run). */
  met: boolean | null;
}

export function verdict(t: TargetCheck): string {
  return t.met === null ? 'NOT RUN' : t.met ? 'MET' : 'NOT MET';
}
