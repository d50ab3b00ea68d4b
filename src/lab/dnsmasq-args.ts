/**
 * Command lines for the two roles dnsmasq (dnsmasq-base 2.90) plays in the lab. Pure: argv only.
 *
 * 1. The unchanged corporate DHCP server: DHCP only (`--port=0` turns DNS off, no TFTP, no PXE
 *    options), plus SLAAC-only IPv6 router advertisements so each iPXE instance does not wait
 *    ~16 s for IPv6 autoconfiguration (docs/lab-notes.md, "iPXE waits about 16 s for IPv6
 *    autoconfiguration").
 * 2. A stand-in proxyDHCP + TFTP responder, used to record golden captures of real firmware and to
 *    validate the lab independently of our own responder. It breaks the iPXE chain loop with the
 *    vendor-class trick of docs/lab-notes.md, "The dnsmasq stand-in and the iPXE loop".
 */

/** Options of the DHCP-only server. */
export interface DhcpOnlyOptions {
  iface: string;
  range: [string, string];
  netmask: string;
  leaseFile: string;
  /** Announce this /64 prefix with SLAAC-only RAs (e.g. 'fd77::'); null for an IPv4-only LAN. */
  ipv6RaPrefix: string | null;
  /**
   * dnsmasq pings an address before offering it, delaying the first OFFER by ~3 s
   * (docs/lab-notes.md, "dnsmasq's ping check delays the first offer by about 3 s"). Real servers
   * often do; the lab turns it off by default to keep runs short.
   */
  pingCheck?: boolean;
  /** Sets next-server (siaddr) on the DHCP server itself: only for the GRUB/Secure Boot case. */
  nextServer?: string;
}

/** argv for the DHCP-only server (foreground, logging to stderr). */
export function dhcpOnlyDnsmasqArgs(o: DhcpOnlyOptions): string[] {
  const args = [
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--port=0',
    '--user=root',
    '--group=root',
    `--interface=${o.iface}`,
    '--bind-interfaces',
    `--dhcp-range=${o.range[0]},${o.range[1]},${o.netmask},1h`,
    '--dhcp-authoritative',
    `--dhcp-leasefile=${o.leaseFile}`,
    '--log-dhcp',
    '--log-facility=-',
  ];
  if (!o.pingCheck) args.push('--no-ping');
  if (o.ipv6RaPrefix !== null) args.push('--enable-ra', `--dhcp-range=${o.ipv6RaPrefix},ra-only`);
  if (o.nextServer !== undefined) args.push(`--dhcp-option=option:server-ip-address,${o.nextServer}`);
  return args;
}

/** Options of the stand-in proxyDHCP responder. */
export interface ProxyDnsmasqOptions {
  iface: string;
  /** The responder's own address (siaddr, TFTP server). */
  serverIp: string;
  /** Network address of the subnet it proxies for (e.g. '10.77.0.0'). */
  subnet: string;
  tftpRoot: string;
  biosFile: string;
  uefiFile: string;
  /** What the chained iPXE gets: a file name (TFTP) or an http:// URL. */
  ipxeScript: string;
  leaseFile: string;
}

/**
 * argv for the stand-in proxyDHCP + TFTP responder (docs/lab-notes.md, "The dnsmasq stand-in and
 * the iPXE loop").
 */
export function proxyDnsmasqArgs(o: ProxyDnsmasqOptions): string[] {
  return [
    'dnsmasq',
    '--keep-in-foreground',
    '--conf-file=/dev/null',
    '--port=0',
    '--user=root',
    '--group=root',
    `--interface=${o.iface}`,
    '--bind-interfaces',
    `--dhcp-range=${o.subnet},proxy`,
    `--dhcp-leasefile=${o.leaseFile}`,
    '--enable-tftp',
    `--tftp-root=${o.tftpRoot}`,
    // Option 77 = iPXE: both the QEMU NIC ROM and the chained iPXE send it ...
    '--dhcp-userclass=set:ipxe,iPXE',
    // ... but only the ROM keeps the full ":Arch:00000" vendor class; chained undionly sends plain
    // "PXEClient" (docs/lab-notes.md, "Chained undionly.kpxe sends plain PXEClient"). OVMF's own PXE
    // sends no 77, chained ipxe.efi does.
    '--dhcp-vendorclass=set:biosrom,PXEClient:Arch:00000',
    '--tag-if=set:chained,tag:ipxe,tag:!biosrom',
    `--pxe-service=tag:!chained,x86PC,peerboot-bios,${o.biosFile}`,
    `--pxe-service=tag:!chained,BC_EFI,peerboot-uefi,${o.uefiFile}`,
    `--pxe-service=tag:!chained,x86-64_EFI,peerboot-uefi,${o.uefiFile}`,
    // With no matching pxe-service dnsmasq sends 43.6=8 with this filename; the explicit server
    // address keeps siaddr set so iPXE can resolve a relative name (docs/lab-notes.md, "The dnsmasq
    // stand-in and the iPXE loop").
    `--dhcp-boot=tag:chained,${o.ipxeScript},peerboot,${o.serverIp}`,
    '--log-dhcp',
    '--log-facility=-',
  ];
}
