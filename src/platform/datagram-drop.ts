/**
 * The decode-count-drop shell every UDP listener shares (docs/ARCHITECTURE.md "Bad input: dropped
 * and counted, never thrown past a shell"): a datagram that does not decode, or that a check
 * refuses, is counted, logged at debug with why, and dropped; the listener carries on. Used by the
 * DHCP shadow responder and rogue listener, the election and the package swarm's have messages.
 */
import type { Counters } from './counters.js';
import type { LogFields, Logger } from './logger.js';

/** Counts and logs one dropped datagram: `reason` labels the counter; `fields` are logged as given. */
export type DropDatagram = (reason: string, fields: LogFields) => void;

export interface DatagramDropperOptions {
  counters: Counters;
  logger: Logger;
  /** The listener's counter, e.g. `election_dropped_total`. */
  counter: string;
  /** true (default): count under `counter{reason}`; false: a counter of its own without labels. */
  labelled?: boolean;
  /** The debug line, e.g. 'election message dropped'. */
  message: string;
}

/** A listener's drop: one counter increment and one debug line per dropped datagram. Never throws for a good counter name. */
export function datagramDropper(o: DatagramDropperOptions): DropDatagram {
  const labelled = o.labelled ?? true;
  return (reason, fields) => {
    if (labelled) o.counters.increment(o.counter, { reason });
    else o.counters.increment(o.counter);
    o.logger.debug(o.message, fields);
  };
}

/** A codec's error class for bad bytes (MalformedDhcpPacketError, MalformedTftpPacketError), carrying why. */
export type MalformedErrorClass = abstract new (...args: never[]) => Error & { readonly reason: string };

/**
 * Runs a decoder that throws `malformed` on bad bytes: its value, or null after `drop(reason)` for
 * bad bytes. Any other error is a bug and propagates.
 */
export function decodeOrDrop<T>(decode: () => T, malformed: MalformedErrorClass, drop: (reason: string) => void): T | null {
  try {
    return decode();
  } catch (err) {
    if (!(err instanceof malformed)) throw err;
    drop(err.reason);
    return null;
  }
}
