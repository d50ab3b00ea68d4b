/**
 * Boot events grouped by what they mean for the machine being booted. Agents name events by what
 * happened (schemas.ts BootEventKind): a DHCP offer, a transfer that completed or failed, an
 * ignored request, a rival responder seen on the LAN.
 */
export type BootOutcome = 'served' | 'failed' | 'offered' | 'ignored' | 'alert' | 'other';

export const outcomeLabels: Record<BootOutcome, string> = {
  served: 'Served',
  failed: 'Failed',
  offered: 'In progress',
  ignored: 'Ignored',
  alert: 'Alert',
  other: 'Other',
};

/** Kinds that raise an alert on the server (inventory-service alertEventKinds). */
export const alertKinds: readonly string[] = ['rogueResponder', 'duplicateResponder'];

export function outcomeOf(kind: string): BootOutcome {
  if (alertKinds.includes(kind)) return 'alert';
  if (kind === 'transferCompleted' || kind === 'bootCompleted' || kind === 'httpCompleted') return 'served';
  if (/(Failed|Error|Timeout|Refused)$/.test(kind)) return 'failed';
  if (kind === 'dhcpIgnored' || /Ignored$/.test(kind)) return 'ignored';
  if (kind === 'dhcpOffer' || /Started$|Offer$|Request$/.test(kind)) return 'offered';
  return 'other';
}

/** RFC 4578 §2.1 / IANA "Processor Architecture Types" (DHCP option 93), the values PXE clients send. */
const archNames: Record<number, string> = {
  0: 'BIOS', 6: 'UEFI x86', 7: 'UEFI x64', 9: 'UEFI x64', 10: 'UEFI ARM32', 11: 'UEFI ARM64', 15: 'HTTP x86', 16: 'HTTP x64', 18: 'HTTP ARM32', 19: 'HTTP ARM64',
};

/** "UEFI x64 (7)", or the number alone when unknown. */
export function archLabel(arch: number): string {
  const name = archNames[arch];
  return name ? `${name} (${arch})` : String(arch);
}
