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
  kernelS: number | null;
  kernelVia: 'tftp' | 'http' | null;
}

/** What to look for: the peer's address and the boot root's file names. */
export interface TimelineNames {
  peerIp: string;
  nbpFiles: string[];
  script: string;
  kernel: string;
  httpPort?: number;
}

/** Builds the timeline from the events, relative to `startEpochMs`. */
export function bootTimeline(events: PacketEvent[], startEpochMs: number, n: TimelineNames): BootTimeline {
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
  // Over HTTP the script and the kernel may share one connection: the kernel is the first
  // connection after the script's, else the script's own.
  const kernelHttp = kernelTftp ? undefined : (httpConnects.find((e) => script !== undefined && e.atEpochMs > script.atEpochMs) ?? httpConnects[0]);
  const kernel = kernelTftp ?? kernelHttp;
  return {
    firstDiscoverS: rel(firstDiscover),
    proxyOfferS: rel(proxyOffer),
    nbpRequestS: rel(nbp),
    nbpFile: nbp?.kind === 'tftp-read' ? nbp.filename : null,
    scriptS: rel(script),
    scriptVia: scriptTftp ? 'tftp' : script ? 'http' : null,
    kernelS: rel(kernel),
    kernelVia: kernelTftp ? 'tftp' : kernelHttp ? 'http' : null,
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
    `kernel${t.kernelVia ? ` (${t.kernelVia})` : ''} ${s(t.kernelS)}`,
  ].join(', ');
}
