/**
 * The log subscriber of the boot-event stream: one JSON line per event, in the words and fields
 * operators (and the demo's narration) already read — "proxyDHCP offer sent", "tftp transfer",
 * "http request" — under the component of the server that emitted it.
 */
import type { Logger } from '../../platform/logger.js';
import { isBenignTftpOutcome, type BootEvent, type BootEventSink } from './boot-event.js';

/** A sink that writes each event to `logger` (the caller's logger; components are added here). */
export function logBootEvents(logger: Logger): BootEventSink {
  const pxe = logger.child({ component: 'pxe' });
  const shadow = logger.child({ component: 'pxe-shadow' });
  const tftp = logger.child({ component: 'tftp' });
  const http = logger.child({ component: 'http' });
  return (event: BootEvent) => {
    switch (event.kind) {
      case 'dhcpReply': {
        const { client } = event;
        const fields = {
          mac: client.mac, uuid: client.uuid, arch: client.arch, archCode: client.archCode, ipxe: client.ipxe,
          xid: event.xid, port: event.port, from: event.from, to: event.to, decision: event.reply, offered: event.offered,
          ...(event.shadow ? { shadow: true, ...event.extra } : {}),
        };
        (event.shadow ? shadow : pxe).info(event.reply === 'offer' ? 'proxyDHCP offer sent' : 'proxyDHCP ack sent', fields);
        return;
      }
      case 'dhcpIgnored':
        // The decision logs its own reasons (decision/boot-decider.ts); this event is for the timeline.
        return;
      case 'tftpTransfer': {
        const t = event.transfer;
        const fields: Record<string, unknown> = {
          client: event.client, file: event.file,
          ...(t ? { size: t.size, bytes: t.bytes, blksize: t.blksize, windowsize: t.windowsize } : {}),
          ms: event.ms, outcome: event.outcome,
          ...(t ? { retransmitted: t.retransmitted, timeouts: t.timeouts, srttMs: t.srttMs, ...(t.mode ? { mode: t.mode } : {}) } : {}),
          ...(event.detail ? { detail: event.detail } : {}),
        };
        // Refusals are routine (info); a started transfer that ended badly is a warning.
        if (!t || isBenignTftpOutcome(event)) tftp.info('tftp transfer', fields);
        else tftp.warn('tftp transfer', fields);
        return;
      }
      case 'httpRequest':
        http.info('http request', {
          client: event.client, method: event.method, file: event.file, status: event.status, bytes: event.bytes, ms: event.ms,
          ...(event.reason ? { reason: event.reason } : {}),
        });
        return;
    }
  };
}
