/**
 * Boot events from what the boot servers already log. The proxyDHCP responder, the TFTP server and
 * the HTTP boot server each write one structured line per outcome ("proxyDHCP offer sent",
 * "tftp transfer", "http request"); this Logger decorator passes every line through unchanged and
 * turns those into BootEventInput values for the server's timeline. It keeps the servers free of
 * any reporting code; the field names it reads are the servers' fixed log keys.
 */
import type { BootEventInput } from '../../contract/schemas.js';
import type { LogFields, Logger } from '../../platform/logger.js';

export type BootEventSink = (event: Omit<BootEventInput, 'at'>) => void;

const MAC = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;

function clip(s: unknown, n = 255): string | undefined {
  return typeof s === 'string' && s.length > 0 ? s.slice(0, n) : undefined;
}

/** Maps one log line to a boot event, or null. Pure (exported for tests). */
export function bootEventOfLogLine(msg: string, f: LogFields): Omit<BootEventInput, 'at'> | null {
  const mac = typeof f.mac === 'string' && MAC.test(f.mac) ? f.mac : undefined;
  const arch = typeof f.archCode === 'number' ? f.archCode : undefined;
  const withMac = <T extends object>(e: T) => ({ ...e, ...(mac ? { mac } : {}), ...(arch !== undefined ? { arch } : {}) });
  if (msg === 'proxyDHCP offer sent' || msg === 'proxyDHCP ack sent') {
    return withMac({ kind: msg === 'proxyDHCP offer sent' ? 'dhcpOffer' : 'dhcpAck', ...(clip(f.offered) ? { file: clip(f.offered) } : {}) });
  }
  if (msg === 'tftp transfer') {
    const outcome = String(f.outcome ?? '');
    if (outcome === 'probe') return null; // EDK2's size probe (tsize then ERROR 8) is not a transfer
    const kind = outcome === 'complete' ? 'transferCompleted' : 'transferFailed';
    return {
      kind, ...(clip(f.file) ? { file: clip(f.file) } : {}),
      ...(typeof f.bytes === 'number' ? { bytes: f.bytes } : {}),
      ...(typeof f.ms === 'number' ? { durationMs: Math.max(0, Math.round(f.ms)) } : {}),
      ...(kind === 'transferFailed' ? { reason: clip(`tftp ${outcome}${f.detail ? `: ${String(f.detail)}` : ''} (client ${String(f.client ?? '?')})`) } : { reason: clip(`tftp from ${String(f.client ?? '?')}`) }),
    };
  }
  if (msg === 'http request') {
    const status = Number(f.status);
    if (!Number.isFinite(status)) return null;
    const ok = status === 200 || status === 206;
    return {
      kind: ok ? 'transferCompleted' : 'transferFailed', ...(clip(f.file) ? { file: clip(f.file) } : {}),
      ...(typeof f.bytes === 'number' ? { bytes: f.bytes } : {}),
      ...(typeof f.ms === 'number' ? { durationMs: Math.max(0, Math.round(f.ms)) } : {}),
      reason: clip(`http ${status} to ${String(f.client ?? '?')}${f.reason ? `: ${String(f.reason)}` : ''}`),
    };
  }
  return null;
}

/** A Logger that also feeds `sink` with the boot events its lines describe. */
export function bootEventTap(inner: Logger, sink: BootEventSink, base: LogFields = {}): Logger {
  const tap = (level: 'debug' | 'info' | 'warn' | 'error') => (msg: string, fields?: LogFields) => {
    inner[level](msg, fields);
    try {
      const e = bootEventOfLogLine(msg, { ...base, ...fields });
      if (e) sink(e);
    } catch {
      // Reporting must never break serving.
    }
  };
  return {
    debug: tap('debug'), info: tap('info'), warn: tap('warn'), error: tap('error'),
    child: (fields) => bootEventTap(inner.child(fields), sink, { ...base, ...fields }),
  };
}
