/**
 * Live packet events from the VM's tap, read from `tcpdump -n -l -tt -v` text output: DHCP
 * messages (who sent which type, option 60, the boot file in replies), TFTP read requests and TCP
 * connection attempts (HTTP). Used for the timings the e2e tests report (power-on → first
 * DISCOVER → NBP request → …) and for the demo's step-by-step narration.
 *
 * tcpdump -v prints one header line per packet (`<epoch> IP (tos …)`) followed by indented lines;
 * `parseTcpdumpPacket` turns one such block into an event (pure). `PacketWatch` groups the lines.
 */
import type { LabProcess } from './lab-processes.js';

/** One packet of interest. `atEpochMs` is tcpdump's timestamp (wall clock, ms). */
export type PacketEvent =
  | {
    kind: 'dhcp';
    atEpochMs: number;
    from: string;
    to: string;
    /** BOOTREQUEST (from the client) vs BOOTREPLY. */
    fromClient: boolean;
    /** Discover, Offer, Request, ACK, … as tcpdump names them; null when absent. */
    messageType: string | null;
    clientMac: string | null;
    vendorClass: string | null;
    /** The `file` field of a reply, if any. */
    bootFile: string | null;
    /** yiaddr of a reply (the address a DHCP server offers), if any. */
    yourIp: string | null;
  }
  | { kind: 'tftp-read'; atEpochMs: number; from: string; to: string; filename: string; options: string }
  | { kind: 'tcp-connect'; atEpochMs: number; from: string; to: string };

const HEADER = /^(\d+\.\d+) IP6? /;
// "0.0.0.0.68 > 255.255.255.255.67: BOOTP/DHCP, Request from 52:54:00:77:00:01, length 400, …"
const ENDPOINTS = /^\s*(\S+)\.(\d+) > (\S+)\.(\d+): (.*)$/;

/** Parses one packet block (header line first); null for packets of no interest. */
export function parseTcpdumpPacket(lines: string[]): PacketEvent | null {
  const head = lines[0];
  const h = head === undefined ? null : HEADER.exec(head);
  if (!h || !h[1]) return null;
  const atEpochMs = Math.round(Number(h[1]) * 1000);
  // With -v the endpoints are on the second line; without, on the header line itself.
  let ep: RegExpExecArray | null = null;
  for (const line of [lines[1] ?? '', (head ?? '').replace(HEADER, '')]) {
    ep = ENDPOINTS.exec(line);
    if (ep) break;
  }
  if (!ep) return null;
  const from = `${ep[1]}:${ep[2]}`;
  const to = `${ep[3]}:${ep[4]}`;
  const rest = ep[5] ?? '';
  if (rest.startsWith('BOOTP/DHCP')) {
    const fromClient = rest.includes('Request from');
    const mac = /(?:Request from|Client-Ethernet-Address) ([0-9a-f:]{17})/.exec(lines.join('\n'))?.[1] ?? null;
    const body = lines.slice(1).join('\n');
    return {
      kind: 'dhcp',
      atEpochMs,
      from,
      to,
      fromClient,
      messageType: /DHCP-Message \(53\), length 1: (\S+)/.exec(body)?.[1] ?? null,
      clientMac: mac,
      vendorClass: /Vendor-Class \(60\), length \d+: "([^"]*)"/.exec(body)?.[1] ?? null,
      bootFile: /^\s*file "([^"]*)"/m.exec(body)?.[1] ?? null,
      yourIp: /^\s*Your-IP (\S+)/m.exec(body)?.[1] ?? null,
    };
  }
  const rrq = /TFTP, length \d+, RRQ "([^"]*)"\s*(.*)$/.exec(rest);
  if (rrq) return { kind: 'tftp-read', atEpochMs, from, to, filename: rrq[1] ?? '', options: (rrq[2] ?? '').trim() };
  if (/Flags \[S\]/.test(rest)) return { kind: 'tcp-connect', atEpochMs, from, to };
  return null;
}

/** Groups tcpdump's lines into packets and keeps the events. */
export class PacketWatch {
  /** What the lab's tcpdump captures: DHCP (67/68/4011), TFTP requests, TCP SYNs (HTTP). */
  static readonly FILTER = 'udp port 67 or udp port 68 or udp port 4011 or udp port 69 or (tcp[tcpflags] & tcp-syn != 0 and tcp[tcpflags] & tcp-ack == 0)';

  /** The tcpdump process, once started by Lab.startPacketWatch. */
  process: LabProcess | null = null;
  readonly events: PacketEvent[] = [];
  private block: string[] = [];
  private flushTimer: NodeJS.Timeout | null = null;
  private readonly listeners: Array<(e: PacketEvent) => void> = [];

  /** Calls `listener` for every later event. */
  onEvent(listener: (e: PacketEvent) => void): void {
    this.listeners.push(listener);
  }

  /** Feeds one line of tcpdump output. */
  feed(line: string): void {
    if (HEADER.test(line)) this.flush();
    this.block.push(line);
    // The last packet has no following header: flush after a short quiet spell.
    if (this.flushTimer) clearTimeout(this.flushTimer);
    this.flushTimer = setTimeout(() => this.flush(), 150);
    this.flushTimer.unref();
  }

  /** Emits the packet being assembled, if any. */
  flush(): void {
    if (this.block.length === 0) return;
    const event = parseTcpdumpPacket(this.block);
    this.block = [];
    if (!event) return;
    this.events.push(event);
    for (const l of this.listeners) l(event);
  }

  /** The first event matching `pred`, or undefined. */
  first(pred: (e: PacketEvent) => boolean): PacketEvent | undefined {
    this.flush();
    return this.events.find(pred);
  }
}
