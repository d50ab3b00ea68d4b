/**
 * What the boot paths did, as typed values: one union for the proxyDHCP responder (and its standby
 * shadow), the boot decision, the TFTP server and the HTTP boot server. They emit these into a
 * sink instead of writing outcome log lines; the log (boot-event-log.ts) and the report to the
 * server (reporting/boot-event-report.ts) are two subscribers of the same stream, so rewording a
 * log line can never empty the console's timeline.
 */

/** How a TFTP transfer ended (or why it never started). */
export type TftpOutcome =
  | 'complete' | 'probe' | 'timeout' | 'clientError' | 'clientGone' | 'illegalOperation' | 'readError' | 'aborted'
  | 'notFound' | 'accessViolation' | 'openError' | 'busy' | 'badRequest';

/** The client a proxyDHCP reply or decision concerns, as the DHCP codec parsed it. */
export interface PxeClientFacts {
  mac: string;
  /** SMBIOS UUID from option 97, when the client sent one. */
  uuid?: string;
  /** Architecture class (bios, uefiX64, …) and the raw option 93 code (RFC 4578 §2.1). */
  arch: string;
  archCode: number;
  ipxe: boolean;
}

/** The facts of a client as the proxyDHCP decision parsed it (pxe/proxy-dhcp.ts ClientInfo). */
export function pxeClientFacts(c: { mac: string; uuid?: string; archClass: string; archCode: number; isIpxe: boolean }): PxeClientFacts {
  return { mac: c.mac, ...(c.uuid ? { uuid: c.uuid } : {}), arch: c.archClass, archCode: c.archCode, ipxe: c.isIpxe };
}

export type BootEvent =
  /** A proxy offer (port 67) or a BINL ack (port 4011) left for a PXE client. */
  | {
    kind: 'dhcpReply'; client: PxeClientFacts; reply: 'offer' | 'ack'; xid: string; port: number;
    from: string; to: string; offered: string; shadow: boolean; extra?: Record<string, unknown>;
  }
  /** The decision gave this client no answer (not allowed, nothing deployed, …). */
  | { kind: 'dhcpIgnored'; client: PxeClientFacts; reason: string }
  /** A TFTP read request's end: a finished transfer, or a refusal before it started. */
  | {
    kind: 'tftpTransfer'; client: string; file: string; outcome: TftpOutcome; ms: number; detail?: string;
    /** Only for transfers that started: bytes acknowledged, negotiated sizes, recovery work. */
    transfer?: {
      size: number; bytes: number; blksize: number; windowsize: number; retransmitted: number; timeouts: number;
      srttMs: number | null; mode?: string;
      /** The final block was sent (a clientGone after it only lost the final ACK). */
      finalBlockSent: boolean;
    };
  }
  /** One HTTP boot request's answer. */
  | { kind: 'httpRequest'; client: string; method: string; file: string; status: number; bytes: number; ms: number; reason?: string };

export type DhcpReplyEvent = Extract<BootEvent, { kind: 'dhcpReply' }>;
export type TftpTransferEvent = Extract<BootEvent, { kind: 'tftpTransfer' }>;

/** Where a boot path puts its events. Must not throw: serving never waits on or fails for a subscriber. */
export type BootEventSink = (event: BootEvent) => void;

/** One stream, many subscribers (the log, the reporter); a throwing subscriber is isolated. */
export class BootEventStream {
  readonly #subscribers = new Set<BootEventSink>();

  /** Adds a subscriber; returns its removal. */
  subscribe(subscriber: BootEventSink): () => void {
    this.#subscribers.add(subscriber);
    return () => this.#subscribers.delete(subscriber);
  }

  /** The sink the boot paths are given. */
  readonly emit: BootEventSink = (event) => {
    for (const subscriber of this.#subscribers) {
      try {
        subscriber(event);
      } catch {
        // A subscriber's fault (a reporting bug) must never break serving.
      }
    }
  };
}

/** Is this TFTP outcome a normal end (logged at info), or worth a warning? */
export function isBenignTftpOutcome(e: TftpTransferEvent): boolean {
  return e.outcome === 'complete' || e.outcome === 'probe' || e.outcome === 'aborted'
    || (e.outcome === 'clientGone' && e.transfer?.finalBlockSent === true);
}
