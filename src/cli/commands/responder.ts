/**
 * `peerboot responder`: the standalone PXE responder — proxyDHCP (UDP 67 + 4011), TFTP (UDP 69)
 * and optionally HTTP on one interface, serving one boot root. The issue's contract, kept exactly:
 *   peerboot responder --interface IFACE --root DIR --bios FILE --uefi FILE [--ipxe-script FILE]
 *                      [--http-port N] [--allow-unknown | --allow-mac MAC,...]
 * plus optional Windows flags (--bcd, --uefi-bcd, --no-deployment-bios) that leave it unchanged.
 */
import { readFile } from 'node:fs/promises';
import { BootRoot } from '../../agent/files/boot-root.js';
import { startHttpBootServer, type HttpBootServerHandle } from '../../agent/http/http-boot-server.js';
import { startPxeResponder, type PxeResponderHandle } from '../../agent/pxe/pxe-responder.js';
import { isIpxeBinaryName, normalizeMac, staticBootPolicy, type ProxyDhcpConfig } from '../../agent/pxe/proxy-dhcp.js';
import { startTftpServer, type TftpServerHandle } from '../../agent/tftp/tftp-server.js';
import { Counters } from '../../platform/counters.js';
import { jsonLogger } from '../../platform/logger.js';
import { findInterfaceIpv4 } from '../../platform/network-interfaces.js';
import { UsageError, type Command } from '../command.js';
import { parseDecimalFlag, parseFlags, parseLogLevel, parsePortFlag } from '../options.js';
import { waitForShutdownSignal } from '../signals.js';
import { readBcdStore } from '../../windows/bcd/bcd-store.js';
import { authenticodeSignatures } from '../../windows/boot-manager-signature.js';

const usage = `Usage: peerboot responder --interface IFACE --root DIR --bios FILE --uefi FILE
                          [--ipxe-script FILE] [--http-port N]
                          [--allow-unknown | --allow-mac MAC,...]

Answers PXE boot requests on IFACE beside the existing DHCP server (proxyDHCP: it never hands out
addresses) and serves boot files from DIR over TFTP (and HTTP with --http-port).

  --interface IFACE    network interface facing the machines to boot (its IPv4 address is announced)
  --root DIR           boot root; every FILE below is relative to it; nothing outside it is served
  --bios FILE          network boot program for BIOS PXE firmware (e.g. undionly.kpxe, pxelinux.0)
  --uefi FILE          network boot program for x64 UEFI firmware (e.g. ipxe.efi, shimx64.efi)
  --ipxe-script FILE   iPXE script for iPXE clients (chained or in the NIC ROM); over HTTP when
                       --http-port is given and the client supports HTTP, else over TFTP
  --http-port N        also serve DIR over HTTP on IFACE's address, port N
  --allow-unknown      answer any PXE client on the segment
  --allow-mac LIST     answer only these MAC addresses (comma-separated, aa:bb:cc:dd:ee:ff)
                       With neither allow option the responder answers nobody (and says so).
Windows profiles (see 'peerboot windows-root', which builds such a root and prints these flags):
  --bcd PATH           BCD store under DIR sent as DHCP option 252 with the NBP (e.g. '\\Boot\\BCD');
                       checked at start: a BCD that does not parse is never served
  --uefi-bcd PATH      UEFI clients get this BCD instead (one per firmware: winload.efi vs .exe)
  --no-deployment-bios FILE
                       BIOS machines that are not allowed get FILE (e.g. '\\Boot\\abortpxe.com':
                       boot the next device at once) instead of silence
  --reply-delay-ms N   wait N ms before each DHCP reply (for firmware upset by instant replies; default 0)
  --tftp-port N        TFTP port (default 69)
  --log-level LEVEL    debug | info | warn | error (default info)

Logs one JSON line per decision (mac, arch, what was offered, or why it was ignored) on stdout.
Needs root (or CAP_NET_BIND_SERVICE) for ports 67 and 69. Stops cleanly on SIGTERM or Ctrl-C.
`;

export const responderCommand: Command = {
  name: 'responder',
  summary: 'run a standalone PXE responder (proxyDHCP + TFTP + HTTP) on one interface',
  usage,
  async run(argv) {
    const parsed = parseFlags('responder', argv, {
      interface: { type: 'string' }, root: { type: 'string' }, bios: { type: 'string' }, uefi: { type: 'string' },
      'ipxe-script': { type: 'string' }, 'http-port': { type: 'string' }, 'allow-unknown': { type: 'boolean' },
      'allow-mac': { type: 'string' }, 'reply-delay-ms': { type: 'string' }, 'tftp-port': { type: 'string' },
      'log-level': { type: 'string' }, bcd: { type: 'string' }, 'uefi-bcd': { type: 'string' },
      'no-deployment-bios': { type: 'string' },
    });
    const v = parsed.values;
    for (const flag of ['interface', 'root', 'bios', 'uefi'] as const) {
      if (!v[flag]) throw new UsageError(`--${flag} is required. See 'peerboot responder --help'.`);
    }
    if (v['allow-unknown'] && v['allow-mac'] !== undefined) throw new UsageError('--allow-unknown and --allow-mac are mutually exclusive');
    let macs: string[] = [];
    try {
      macs = (v['allow-mac'] ?? '').split(',').map((m) => m.trim()).filter(Boolean).map(normalizeMac);
    } catch (err) {
      throw new UsageError(`--allow-mac: ${(err as Error).message}`);
    }
    if (v['allow-mac'] !== undefined && macs.length === 0) throw new UsageError('--allow-mac needs at least one MAC address');
    const httpPort = v['http-port'] === undefined ? undefined : parsePortFlag('--http-port', v['http-port']);
    const tftpPort = v['tftp-port'] === undefined ? 69 : parsePortFlag('--tftp-port', v['tftp-port']);
    const replyDelayMs = v['reply-delay-ms'] === undefined ? 0 : parseDecimalFlag('--reply-delay-ms', v['reply-delay-ms'], { min: 0, max: 10_000 });
    const logLevel = parseLogLevel(v['log-level']);

    const logger = jsonLogger({ minLevel: logLevel });
    const counters = new Counters();

    let root: BootRoot;
    let iface;
    try {
      root = await BootRoot.open(v.root!);
      iface = findInterfaceIpv4(v.interface!);
    } catch (err) {
      throw new UsageError((err as Error).message, 1);
    }
    const bootFiles: Array<[string, string]> = [['--bios', v.bios!], ['--uefi', v.uefi!]];
    if (v['ipxe-script']) bootFiles.push(['--ipxe-script', v['ipxe-script']]);
    if (v['no-deployment-bios']) bootFiles.push(['--no-deployment-bios', v['no-deployment-bios']]);
    const bcdFiles: Array<[string, string]> = [];
    if (v.bcd) bcdFiles.push(['--bcd', v.bcd]);
    if (v['uefi-bcd']) bcdFiles.push(['--uefi-bcd', v['uefi-bcd']]);
    for (const [flag, file] of [...bootFiles, ...bcdFiles]) {
      const r = await root.resolve(file);
      if (!r.ok) throw new UsageError(`${flag} ${file}: ${r.code === 'notFound' ? `no such file under ${v.root}` : r.reason}; put the file in the root or fix the path`, 1);
      if (bcdFiles.some(([f]) => f === flag)) {
        // Bad input is refused here, where the admin sees it: a BCD that would not parse is never served.
        try {
          readBcdStore(await readFile(r.path));
        } catch (err) {
          throw new UsageError(`${flag} ${file}: ${(err as Error).message}; rebuild it with 'peerboot windows-root'`, 1);
        }
      }
    }

    const allow = v['allow-unknown'] ? { kind: 'unknown' as const } : macs.length > 0 ? { kind: 'macs' as const, macs } : { kind: 'nobody' as const };
    if (allow.kind === 'nobody') {
      logger.warn('answering nobody: neither --allow-unknown nor --allow-mac was given; PXE requests will be logged and ignored', { interface: iface.name });
    }
    if (!v['ipxe-script'] && [v.bios!, v.uefi!].some(isIpxeBinaryName)) {
      logger.warn('no --ipxe-script: iPXE clients (chained iPXE and iPXE NIC ROMs) will not be answered, to avoid an endless chain loop', { bios: v.bios, uefi: v.uefi });
    }
    // A DHCP request does not say whether Secure Boot is on, so say it here: an unsigned
    // UEFI NBP is refused by every machine with Secure Boot on (OVMF: "Access Denied").
    const uefiResolved = await root.resolve(v.uefi!);
    if (uefiResolved.ok) {
      try {
        if (authenticodeSignatures(await readFile(uefiResolved.path)).length === 0) {
          logger.warn('the UEFI boot file carries no Authenticode signature: machines with Secure Boot on will refuse it; use a signed loader (shimx64.efi, bootmgfw.efi)', { uefi: v.uefi });
        }
      } catch {
        // Not a PE image (e.g. a script or a placeholder): nothing to say about signatures.
      }
    }
    const config: ProxyDhcpConfig = {
      select: staticBootPolicy({
        biosFile: v.bios!, uefiX64File: v.uefi!, ipxeScript: v['ipxe-script'], allow,
        ...(v.bcd ? { bcdPath: v.bcd } : {}),
        ...(v['uefi-bcd'] ? { uefiBcdPath: v['uefi-bcd'] } : {}),
        ...(v['no-deployment-bios'] ? { biosNoDeploymentFile: v['no-deployment-bios'] } : {}),
      }),
      httpPort,
    };

    // Listen for the stop signal before binding anything: a SIGTERM during start-up is a clean stop.
    const stopSignal = waitForShutdownSignal();
    let tftp: TftpServerHandle | undefined;
    let http: HttpBootServerHandle | undefined;
    let pxe: PxeResponderHandle | undefined;
    const closeAll = async () => {
      await Promise.allSettled([pxe?.close(), tftp?.close(), http?.close()]);
    };
    try {
      tftp = await startTftpServer({ root, address: iface.address, port: tftpPort, logger, counters });
      if (httpPort !== undefined) http = await startHttpBootServer({ root, address: iface.address, port: httpPort, logger, counters });
      pxe = await startPxeResponder({ interfaceName: iface.name, config, logger, counters, replyDelayMs });
    } catch (err) {
      await closeAll();
      const e = err as NodeJS.ErrnoException;
      console.error(`peerboot responder: ${e.message}${e.code ? ` [${e.code}]` : ''}`);
      return 1;
    }
    logger.info('responder ready', {
      interface: iface.name, address: iface.address, subnet: iface.subnet, root: v.root, bios: v.bios, uefi: v.uefi,
      ipxeScript: v['ipxe-script'] ?? null, tftpPort, httpPort: httpPort ?? null,
      allow: allow.kind === 'macs' ? allow.macs : allow.kind,
    });
    const signal = await stopSignal;
    logger.info('responder stopping', { signal, counters: counters.snapshot() });
    await closeAll();
    return 0;
  },
};
