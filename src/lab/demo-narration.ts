/**
 * Plain-language lines for `peerboot demo`: what the packets on the VM's cable and the responder's
 * JSON log say is happening. Pure; a Narrator only remembers what it already told, so DHCP
 * retransmissions and repeated decisions are not repeated.
 */
import type { PacketEvent } from './packet-watch.js';

/** Names of the lab's actors, for the sentences. */
export interface NarrationNames {
  dhcpServerIp: string;
  peerIp: string;
}

/** Who is asking, by DHCP option 60 (docs/lab-notes.md, "Telling the firmware apart by option 60"). */
export function describeClient(vendorClass: string | null): string {
  if (vendorClass === null) return 'the VM';
  if (vendorClass.startsWith('PXEClient:Arch:00000')) return 'the VM\'s BIOS network ROM (iPXE)';
  if (vendorClass.startsWith('PXEClient:Arch:00007:UNDI:003000')) return 'the VM\'s UEFI firmware (built-in PXE)';
  if (vendorClass.startsWith('PXEClient:Arch:00007')) return 'iPXE (just loaded, UEFI build)';
  if (vendorClass === 'PXEClient') return 'iPXE (just loaded)';
  if (vendorClass.startsWith('HTTPClient')) return 'the VM\'s UEFI HTTP boot';
  return `the VM (${vendorClass})`;
}

function size(bytes: unknown): string {
  const n = typeof bytes === 'number' ? bytes : Number(bytes);
  if (!Number.isFinite(n)) return '';
  if (n >= 1024 * 1024) return `${(n / 1024 / 1024).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(0)} KiB`;
  return `${n} bytes`;
}

/** Remembers what was told; turns events and log entries into new lines (or null). */
export class Narrator {
  private readonly told = new Set<string>();

  constructor(private readonly names: NarrationNames) {}

  private once(key: string, line: string): string | null {
    if (this.told.has(key)) return null;
    this.told.add(key);
    return line;
  }

  /** A packet seen on the VM's cable. */
  packet(e: PacketEvent): string | null {
    if (e.kind !== 'dhcp') return null;
    if (e.fromClient && e.messageType === 'Discover') {
      return this.once(`discover:${e.vendorClass}`,
        `${describeClient(e.vendorClass)} broadcasts a DHCP DISCOVER: "I need an address, and something to boot"`);
    }
    if (!e.fromClient && e.from.startsWith(`${this.names.dhcpServerIp}:`) && e.messageType === 'Offer') {
      return this.once(`offer:${e.yourIp}`,
        `the DHCP server offers address ${e.yourIp ?? '?'} (nothing about booting: it is a plain DHCP server)`);
    }
    return null;
  }

  /** One line of the responder's JSON log. */
  responderLog(entry: Record<string, unknown>): string | null {
    const msg = String(entry.msg ?? '');
    const who = entry.mac === undefined ? 'a client' : String(entry.mac);
    if (entry.decision === 'offer' || entry.decision === 'ack') {
      const arch = entry.arch === undefined ? '' : `${String(entry.arch)}${entry.ipxe === true ? ', iPXE' : ''}`;
      const port = entry.port === 4011 ? ' (on port 4011)' : '';
      return this.once(`offer:${who}:${String(entry.offered)}:${String(entry.port)}`,
        `the peerboot peer answers ${who}${arch ? ` (${arch})` : ''}${port}: boot "${String(entry.offered ?? '?')}"`);
    }
    if (entry.decision === 'ignore') {
      return this.once(`ignore:${who}:${String(entry.reason)}`, `the peerboot peer ignores ${who}: ${String(entry.reason ?? msg)}`);
    }
    if (entry.component === 'tftp' && entry.file !== undefined && entry.outcome !== undefined) {
      if (entry.outcome === 'probe') {
        return `the firmware asks the size of ${String(entry.file)} (${size(entry.size)}) over TFTP and stops: EDK2's usual size probe`;
      }
      const ok = entry.outcome === 'complete';
      const ms = typeof entry.ms === 'number' ? ` in ${(entry.ms / 1000).toFixed(1)} s` : '';
      return ok
        ? `the peer sent ${String(entry.file)} over TFTP (${size(entry.bytes)}${ms})`
        : `TFTP of ${String(entry.file)} ended: ${String(entry.outcome)}${entry.reason ? ` (${String(entry.reason)})` : ''}`;
    }
    if (entry.component === 'http' && entry.file !== undefined) {
      const ms = typeof entry.ms === 'number' ? ` in ${(entry.ms / 1000).toFixed(1)} s` : '';
      const file = String(entry.file).replace(/^\//, '');
      return entry.status === 200 || entry.status === 206
        ? `the peer sent ${file} over HTTP (${size(entry.bytes)}${ms})`
        : `HTTP ${String(entry.method ?? 'GET')} ${file}: status ${String(entry.status)}`;
    }
    if (entry.level === 'error') return `responder error: ${msg}`;
    return null;
  }
}
