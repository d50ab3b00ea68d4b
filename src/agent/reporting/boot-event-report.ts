/**
 * The reporting subscriber of the boot-event stream (events/boot-event.ts): which events the
 * server's timeline gets, in the contract's BootEventInput shape. Pure: the agent subscribes
 * `reportBootEvent(sink)` to its stream; the sink queues for the server (event-reporter.ts).
 */
import type { BootEventInput } from '../../contract/schemas.js';
import type { BootEvent, BootEventSink } from '../events/boot-event.js';

export type BootEventInputSink = (event: Omit<BootEventInput, 'at'>) => void;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function clip(s: string | undefined, n = 255): string | undefined {
  return s !== undefined && s.length > 0 ? s.slice(0, n) : undefined;
}

/** The timeline entry for one boot event, or null for events the timeline does not keep. */
export function bootEventInputOf(event: BootEvent): Omit<BootEventInput, 'at'> | null {
  switch (event.kind) {
    case 'dhcpReply':
    case 'dhcpIgnored': {
      const { client } = event;
      const who = { ...(MAC.test(client.mac) ? { mac: client.mac } : {}), arch: client.archCode };
      if (event.kind === 'dhcpIgnored') {
        return { kind: 'dhcpIgnored', ...who, ...(client.uuid ? { smbiosUuid: client.uuid } : {}), reason: event.reason.slice(0, 255) };
      }
      return { kind: event.reply === 'offer' ? 'dhcpOffer' : 'dhcpAck', ...(clip(event.offered) ? { file: clip(event.offered) } : {}), ...who };
    }
    case 'tftpTransfer': {
      if (event.outcome === 'probe') return null; // EDK2's size probe (tsize, then ERROR 8) is not a transfer
      const ok = event.outcome === 'complete';
      return {
        kind: ok ? 'transferCompleted' : 'transferFailed', ...(clip(event.file) ? { file: clip(event.file) } : {}),
        ...(event.transfer ? { bytes: event.transfer.bytes } : {}),
        durationMs: Math.max(0, Math.round(event.ms)),
        reason: ok ? clip(`tftp from ${event.client}`) : clip(`tftp ${event.outcome}${event.detail ? `: ${event.detail}` : ''} (client ${event.client})`),
      };
    }
    case 'httpRequest': {
      const ok = event.status === 200 || event.status === 206;
      return {
        kind: ok ? 'transferCompleted' : 'transferFailed', ...(clip(event.file) ? { file: clip(event.file) } : {}),
        bytes: event.bytes, durationMs: Math.max(0, Math.round(event.ms)),
        reason: clip(`http ${event.status} to ${event.client}${event.reason ? `: ${event.reason}` : ''}`),
      };
    }
  }
}

/** A stream subscriber that passes the timeline's events on to `sink`. */
export function reportBootEvents(sink: BootEventInputSink): BootEventSink {
  return (event) => {
    const input = bootEventInputOf(event);
    if (input) sink(input);
  };
}
