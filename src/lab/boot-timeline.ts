/**
 * The phases of one lab boot, in seconds after QEMU was started, read off the packet events of the
 * VM's tap (packet-watch.ts): firmware POST ends at the first DISCOVER, the peer's proxy OFFER, the
 * NBP request, the iPXE script fetch, the kernel fetch. Pure; the e2e tests and the demo print it.
 */
import type { PacketEvent } from './packet-watch.js';

/** Seconds after power-on; null when the phase was not seen. */
export interface BootTimeline {
  firstDiscoverS: number | null;
  proxyOfferS: number | null;
  nbpRequestS: number | null;
  nbpFile: string | null;
  scriptS: number | null;
  scriptVia: 'tftp' | 'http' | null;
  /** When the kernel was requested (TFTP RRQ, or a new HTTP connection after the script's). */
  kernelS: number | null;
  kernelVia: 'tftp' | 'http' | null;
  /** When the responder logged the kernel's transfer complete (needs its log). */
  kernelLoadedS: number | null;
}

/** What to look for: the peer's address and the boot root's file names. */
export interface TimelineNames {
  peerIp: string;
  nbpFiles: string[];
  script: string;
  kernel: string;
  httpPort?: number;
}

/**
 * Builds the timeline from the events, relative to `startEpochMs`. `responderLog` (the responder's
 * JSON lines: `time`, `file`, and `outcome: 'complete'` for TFTP or `status: 200|206` for HTTP)
 * adds when the kernel finished loading.
 */
export function bootTimeline(
  events: PacketEvent[], startEpochMs: number, n: TimelineNames, responderLog: Array<Record<string, unknown>> = [],
): BootTimeline {
  const rel = (e: PacketEvent | undefined) => (e === undefined ? null : (e.atEpochMs - startEpochMs) / 1000);
  const toPeer = (e: PacketEvent) => e.to.startsWith(`${n.peerIp}:`);
  const baseName = (f: string) => f.replace(/^.*[/\\]/, '');
  const firstDiscover = events.find((e) => e.kind === 'dhcp' && e.fromClient && e.messageType === 'Discover');
  const proxyOffer = events.find((e) => e.kind === 'dhcp' && !e.fromClient && e.from === `${n.peerIp}:67`);
  const nbp = events.find((e) => e.kind === 'tftp-read' && toPeer(e) && n.nbpFiles.includes(baseName(e.filename)));
  const httpConnects = events.filter((e) => e.kind === 'tcp-connect' && toPeer(e)
    && (n.httpPort === undefined || e.to === `${n.peerIp}:${n.httpPort}`));
  const scriptTftp = events.find((e) => e.kind === 'tftp-read' && toPeer(e) && baseName(e.filename) === n.script);
  const kernelTftp = events.find((e) => e.kind === 'tftp-read' && toPeer(e) && baseName(e.filename) === n.kernel);
  const script = scriptTftp ?? httpConnects[0];
  // iPXE keeps its HTTP connection open, so the kernel often shares the script's connection: then
  // there is no packet-level request time, only the responder's completion time.
  const kernelHttp = kernelTftp ? undefined : httpConnects.find((e) => script !== undefined && e.atEpochMs > script.atEpochMs);
  const kernel = kernelTftp ?? kernelHttp;
  const loaded = responderLog.find((entry) => typeof entry.file === 'string' && baseName(entry.file) === n.kernel
    && (entry.outcome === 'complete' || entry.status === 200 || entry.status === 206) && typeof entry.time === 'string');
  const loadedMs = loaded ? Date.parse(String(loaded.time)) : NaN;
  return {
    firstDiscoverS: rel(firstDiscover),
    proxyOfferS: rel(proxyOffer),
    nbpRequestS: rel(nbp),
    nbpFile: nbp?.kind === 'tftp-read' ? nbp.filename : null,
    scriptS: rel(script),
    scriptVia: scriptTftp ? 'tftp' : script ? 'http' : null,
    kernelS: rel(kernel),
    kernelVia: kernelTftp ? 'tftp' : httpConnects.length > 0 ? 'http' : null,
    kernelLoadedS: Number.isFinite(loadedMs) ? (loadedMs - startEpochMs) / 1000 : null,
  };
}

/** The path the boot took, e.g. "undionly.kpxe (TFTP) → script (HTTP) → kernel + initrd (HTTP)". */
export function describeBootPath(t: BootTimeline, firmwareName: string): string {
  const via = (v: 'tftp' | 'http' | null) => (v === null ? '?' : v.toUpperCase());
  return [
    firmwareName,
    ...(t.nbpFile ? [`${t.nbpFile} (TFTP)`] : []),
    `iPXE script (${via(t.scriptVia)})`,
    `kernel + initrd (${via(t.kernelVia)})`,
  ].join(' → ');
}

/** One line: "first DISCOVER 3.1 s, proxy offer 3.1 s, NBP undionly.kpxe 3.3 s, …". */
export function formatTimeline(t: BootTimeline): string {
  const s = (v: number | null) => (v === null ? 'not seen' : `${v.toFixed(1)} s`);
  return [
    `first DISCOVER ${s(t.firstDiscoverS)}`,
    `proxy offer ${s(t.proxyOfferS)}`,
    `NBP ${t.nbpFile ?? ''}${t.nbpFile ? ' ' : ''}${s(t.nbpRequestS)}`,
    `script${t.scriptVia ? ` (${t.scriptVia})` : ''} ${s(t.scriptS)}`,
    `kernel${t.kernelVia ? ` (${t.kernelVia})` : ''} ${t.kernelS === null ? '' : `requested ${s(t.kernelS)}, `}loaded ${s(t.kernelLoadedS)}`,
  ].join(', ');
}
