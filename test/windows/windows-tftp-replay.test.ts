// Goal: the Windows boot chain (BIOS and UEFI) proven without Windows. A Windows boot root built from
// a synthetic toolkit tree with the real `copype` layout (placeholder binaries) is served by OUR
// TFTP server, and the request sequence of the Windows boot chain (docs/protocol-notes.md,
// "Windows boot manager paths and option 252" and "TFTP clients in the field") gets every file
// byte-exact:
//   PXE ROM    \Boot\pxeboot.n12         no options at all (legacy ROM: 512-byte blocks, no OACK)
//   pxeboot    \Boot\bootmgr.exe         tsize + blksize 1456
//   bootmgr    \boot\bcd                 tsize + blksize 1456 + windowsize 4 + msftwindow=31416
//              \Boot\Fonts\WGL4_BOOT.TTF (letter case as sent; lookups are case-insensitive)
//              \Boot\en-US\bootmgr.exe.mui (optional, absent: a prompt ERROR 1)
//              boot\boot.sdi             (no leading backslash)
//              \SOURCES\BOOT.WIM         blksize and windowsize taken FROM THE SERVED BCD
// The OACK echoes blksize/windowsize/tsize as granted and never msftwindow (not implemented;
// docs/protocol-notes.md, "Windows TFTP tuning and msftwindow").
// The generated BCD read back with readBcdStore names the same sdi and wim paths the client then
// asks for. Over the wire, our proxyDHCP responder (loopback) answers BIOS and UEFI requests with
// the backslash NBP and option 252 per firmware, and the BCD named by 252 is then fetched by TFTP.
// A toolkit tree missing files is refused with their names.
// Method: real UDP on 127.0.0.1 against startTftpServer; a small RFC 7440 client in this file (ACK
// per window, last block shorter than blksize ends the transfer); SHA-256 against the toolkit files.
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { NetworkInterfaceInfo } from 'node:os';
import { after, before, describe, test } from 'node:test';
import { staticBootPolicy } from '../../src/agent/pxe/proxy-dhcp.js';
import { startPxeResponder } from '../../src/agent/pxe/pxe-responder.js';
import { decodeDhcpPacket, encodeDhcpPacket } from '../../src/protocol/dhcp/packet.js';
import { BootRoot } from '../../src/agent/files/boot-root.js';
import { startTftpServer, type TftpServerHandle } from '../../src/agent/tftp/tftp-server.js';
import { silentLogger } from '../../src/platform/logger.js';
import { decodeTftpPacket, encodeTftpPacket } from '../../src/protocol/tftp/packet.js';
import { BcdDeviceElement, BcdObjectGuid } from '../../src/windows/bcd/bcd-elements.js';
import { readBcdStore } from '../../src/windows/bcd/bcd-store.js';
import { ToolkitIncompleteError } from '../../src/windows/toolkit.js';
import { planWindowsBootRoot, rootRelativePath, writeWindowsBootRoot, type WindowsBootRootPlan } from '../../src/windows/windows-boot-root.js';

/** `copype amd64 C:\WinPE` output after mounting boot.wim (ADK layout), with placeholder bytes. */
const TOOLKIT: Record<string, number> = {
  'media/Boot/boot.sdi': 3_170_304,
  'media/Boot/Fonts/wgl4_boot.ttf': 46_008,
  'media/Boot/BCD': 16_384, // the media's own (DVD) BCD: never served for PXE
  'media/sources/boot.wim': 6_000_000,
  'mount/Windows/Boot/PXE/pxeboot.n12': 26_488,
  'mount/Windows/Boot/PXE/pxeboot.com': 26_488,
  'mount/Windows/Boot/PXE/bootmgr.exe': 412_536,
  'mount/Windows/Boot/PXE/abortpxe.com': 76,
  'mount/Windows/Boot/EFI/bootmgfw.efi': 1_425_384,
};

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

interface Fetched {
  bytes: Buffer;
  oack: ReadonlyMap<string, string> | null;
  blocks: number;
}

/** A minimal RFC 1350/2347/7440 client: RRQ, optional OACK (ACK 0), ACK once per window. */
function tftpGet(port: number, filename: string, options: Record<string, string>, timeoutMs = 20_000): Promise<Fetched> {
  return new Promise((resolve, reject) => {
    const sock: Socket = createSocket('udp4');
    const chunks: Buffer[] = [];
    let oack: ReadonlyMap<string, string> | null = null;
    let blksize = 512;
    let window = 1;
    let expected = 1;
    let inWindow = 0;
    let blocks = 0;
    let serverPort = -1;
    const timer = setTimeout(() => { sock.close(); reject(new Error(`${filename}: timed out after ${blocks} blocks`)); }, timeoutMs);
    const done = (err: Error | null) => {
      clearTimeout(timer);
      sock.close();
      if (err) reject(err); else resolve({ bytes: Buffer.concat(chunks), oack, blocks });
    };
    const ack = (block: number) => {
      sock.send(encodeTftpPacket({ op: 'ack', block: block & 0xffff }), serverPort, '127.0.0.1');
    };
    sock.on('message', (msg, rinfo) => {
      if (serverPort === -1) serverPort = rinfo.port;
      if (rinfo.port !== serverPort) return; // RFC 1350 §4: a foreign TID
      const p = decodeTftpPacket(msg);
      if (p.op === 'error') { done(Object.assign(new Error(`ERROR ${p.code} ${p.message}`), { tftpCode: p.code })); return; }
      if (p.op === 'optionAck') {
        oack = p.options;
        blksize = Number(p.options.get('blksize') ?? 512);
        window = Number(p.options.get('windowsize') ?? 1);
        ack(0);
        return;
      }
      if (p.op !== 'data') return;
      if (p.block !== (expected & 0xffff)) { ack(expected - 1); inWindow = 0; return; } // out of order: re-ACK
      chunks.push(Buffer.from(p.payload));
      blocks++;
      inWindow++;
      const last = p.payload.length < blksize;
      if (last || inWindow === window) { ack(expected); inWindow = 0; }
      expected++;
      if (last) done(null);
    });
    const opts = new Map(Object.entries(options));
    sock.bind(0, '127.0.0.1', () => {
      sock.send(encodeTftpPacket({ op: 'readRequest', filename, mode: 'octet', options: opts }), port, '127.0.0.1');
    });
  });
}

/** An 8-byte little-endian integer element (bcdedit's form for ramdisktftpblocksize/windowsize). */
function integerElement(data: Uint8Array): number {
  return Number(new DataView(data.buffer, data.byteOffset, data.byteLength).getBigUint64(0, true));
}

describe('Windows boot chain replayed over real UDP against the peerboot TFTP server', () => {
  let work: string;
  let toolkit: string;
  let rootDir: string;
  const sums = new Map<string, string>();
  let plan: WindowsBootRootPlan;
  let server: TftpServerHandle;

  before(async () => {
    work = mkdtempSync(join(tmpdir(), 'pb-win-replay-'));
    toolkit = join(work, 'WinPE_amd64');
    rootDir = join(work, 'root');
    for (const [path, size] of Object.entries(TOOLKIT)) {
      mkdirSync(dirname(join(toolkit, path)), { recursive: true });
      const bytes = randomBytes(size);
      writeFileSync(join(toolkit, path), bytes);
      sums.set(path, sha(bytes));
    }
    plan = await writeWindowsBootRoot(toolkit, rootDir, {
      firmware: ['bios', 'uefi'], abortPxe: true, bcd: { tftpBlockSize: 1456, tftpWindowSize: 8 },
      skipSignatureCheck: true, // placeholder binaries (the signature check: src/windows/windows-boot-root.test.ts)
    });
    server = await startTftpServer({ root: await BootRoot.open(rootDir), address: '127.0.0.1', port: 0, logger: silentLogger });
  });
  after(async () => {
    await server?.close();
    rmSync(work, { recursive: true, force: true });
  });

  test('the profile: backslash NBP paths, abortpxe, one BCD per firmware (BIOS at bootmgr\'s default path)', () => {
    assert.deepEqual(plan.profile, {
      biosFile: '\\Boot\\pxeboot.n12',
      uefiX64File: '\\Boot\\bootmgfw.efi',
      uefiX64Files: { pca2011: '\\Boot\\bootmgfw.efi' },
      biosNoDeploymentFile: '\\Boot\\abortpxe.com',
      bcdPath: { bios: '\\Boot\\BCD', uefi: '\\Boot\\EFI\\BCD' },
    });
    // pxeboot.com was not asked for (no F12 prompt), and the media's DVD BCD is not served.
    assert.equal(plan.files.some((f) => /pxeboot\.com$/i.test(f.servedPath)), false);
    const bcd = readFileSync(join(rootDir, 'Boot', 'BCD'));
    assert.notEqual(sha(bcd), sums.get('media/Boot/BCD'));
  });

  test('BIOS chain: pxeboot.n12 → bootmgr.exe → BCD → font → (missing .mui) → boot.sdi → boot.wim, byte-exact', async () => {
    const started = performance.now();
    // 1. A legacy PXE ROM: no options, so no OACK and 512-byte blocks.
    const nbp = await tftpGet(server.port, '\\Boot\\pxeboot.n12', {});
    assert.equal(nbp.oack, null, 'no options requested: DATA at once, no OACK');
    assert.equal(sha(nbp.bytes), sums.get('mount/Windows/Boot/PXE/pxeboot.n12'));
    assert.equal(nbp.blocks, Math.floor(TOOLKIT['mount/Windows/Boot/PXE/pxeboot.n12']! / 512) + 1);

    // 2. pxeboot.n12 loads bootmgr.exe from its own (backslash) directory.
    const mgr = await tftpGet(server.port, '\\Boot\\bootmgr.exe', { tsize: '0', blksize: '1456' });
    assert.deepEqual(Object.fromEntries(mgr.oack ?? []), { tsize: String(TOOLKIT['mount/Windows/Boot/PXE/bootmgr.exe']), blksize: '1456' });
    assert.equal(sha(mgr.bytes), sums.get('mount/Windows/Boot/PXE/bootmgr.exe'));

    // 3. bootmgr asks for the BCD (no option 252 → \Boot\BCD), any letter case, with msftwindow.
    const bcdFetch = await tftpGet(server.port, '\\boot\\bcd', { tsize: '0', blksize: '1456', windowsize: '4', msftwindow: '31416' });
    assert.equal(bcdFetch.oack?.has('msftwindow'), false, 'msftwindow is not implemented, so never echoed');
    assert.equal(bcdFetch.oack?.get('windowsize'), '4');
    assert.equal(bcdFetch.oack?.get('tsize'), String(bcdFetch.bytes.length));
    const objects = readBcdStore(bcdFetch.bytes);
    const options = objects.find((o) => o.guid === BcdObjectGuid.ramdiskOptions);
    assert.ok(options, 'the served BCD has {ramdiskoptions}');
    const sdiPath = Buffer.from(options.elements.get(BcdDeviceElement.sdiPath.type)!.data).toString('utf16le').replace(/\0+$/, '');
    const blockSize = integerElement(options.elements.get(BcdDeviceElement.ramdiskTftpBlockSize.type)!.data);
    const windowSize = integerElement(options.elements.get(BcdDeviceElement.ramdiskTftpWindowSize.type)!.data);
    assert.deepEqual([sdiPath, blockSize, windowSize], ['\\Boot\\boot.sdi', 1456, 8]);
    const loader = objects.find((o) => [...o.elements.values()].some((e) => Buffer.from(e.data).toString('utf16le').includes('winload.exe')));
    assert.ok(loader, 'the BIOS BCD boots winload.exe');
    const wimPath = [...loader.elements.values()].map((e) => Buffer.from(e.data).toString('utf16le')).find((t) => t.includes('boot.wim'));
    assert.match(wimPath ?? '', /\\sources\\boot\.wim/);

    // 4. The font, in the letter case a client may use.
    const font = await tftpGet(server.port, '\\Boot\\Fonts\\WGL4_BOOT.TTF', { tsize: '0', blksize: '1456' });
    assert.equal(sha(font.bytes), sums.get('media/Boot/Fonts/wgl4_boot.ttf'));

    // 5. An optional file that is not there: ERROR 1 at once, not a timeout.
    const t0 = performance.now();
    await assert.rejects(tftpGet(server.port, '\\Boot\\en-US\\bootmgr.exe.mui', { tsize: '0', blksize: '1456' }), (e: Error & { tftpCode?: number }) => e.tftpCode === 1);
    assert.ok(performance.now() - t0 < 1000, 'file-not-found answered promptly');

    // 6. The SDI named by the BCD (sent without the leading backslash), then the WIM with the BCD's tuning.
    const sdi = await tftpGet(server.port, sdiPath.slice(1), { tsize: '0', blksize: String(blockSize), windowsize: String(windowSize) });
    assert.equal(sha(sdi.bytes), sums.get('media/Boot/boot.sdi'));
    const wim = await tftpGet(server.port, '\\SOURCES\\BOOT.WIM', { tsize: '0', blksize: String(blockSize), windowsize: String(windowSize), msftwindow: '31416' });
    assert.deepEqual(Object.fromEntries(wim.oack ?? []), { tsize: String(TOOLKIT['media/sources/boot.wim']), blksize: '1456', windowsize: '8' });
    assert.equal(sha(wim.bytes), sums.get('media/sources/boot.wim'));
    assert.equal(wim.blocks, Math.ceil(TOOLKIT['media/sources/boot.wim']! / 1456) + (TOOLKIT['media/sources/boot.wim']! % 1456 === 0 ? 1 : 0));
    console.log(`windows replay: BIOS chain (${Object.values(TOOLKIT).reduce((a, b) => a + b, 0) >> 20} MiB of placeholders) in ${((performance.now() - started) / 1000).toFixed(2)} s`);
  });

  test('UEFI chain: bootmgfw.efi, then the UEFI BCD named by option 252, which boots winload.efi', async () => {
    const nbp = await tftpGet(server.port, plan.profile.uefiX64File!, { tsize: '0', blksize: '1468', windowsize: '4' });
    assert.equal(sha(nbp.bytes), sums.get('mount/Windows/Boot/EFI/bootmgfw.efi'));
    const bcd = await tftpGet(server.port, plan.profile.bcdPath.uefi!.toUpperCase(), { tsize: '0', blksize: '1456' });
    const objects = readBcdStore(bcd.bytes);
    const text = objects.flatMap((o) => [...o.elements.values()].map((e) => Buffer.from(e.data).toString('utf16le'))).join(' ');
    assert.match(text, /winload\.efi/);
    assert.doesNotMatch(text, /winload\.exe/);
    const abort = await tftpGet(server.port, plan.profile.biosNoDeploymentFile!, {});
    assert.equal(sha(abort.bytes), sums.get('mount/Windows/Boot/PXE/abortpxe.com'));
    assert.equal(rootRelativePath('\\Boot\\EFI\\BCD'), 'Boot/EFI/BCD');
  });

  test('over the wire: the responder offers the backslash NBP + option 252, and the client fetches that BCD', async () => {
    const p = plan.profile;
    const responder = await startPxeResponder({
      interfaceName: 'lo', logger: silentLogger,
      listInterfaces: () => ({ lo: [{ address: '127.0.0.1', netmask: '255.0.0.0', family: 'IPv4', mac: '00:00:00:00:00:00', internal: true, cidr: '127.0.0.1/8' } as NetworkInterfaceInfo] }),
      config: { select: staticBootPolicy({ biosFile: p.biosFile!, uefiX64File: p.uefiX64File!, bcdPath: p.bcdPath.bios!, uefiBcdPath: p.bcdPath.uefi!, allow: { kind: 'unknown' } }) },
      ports: { dhcp: 0, proxy: 0, client: 0 }, broadcastAddress: '127.255.255.255',
    });
    const client = createSocket('udp4');
    const replies: Buffer[] = [];
    client.on('message', (m) => replies.push(m));
    await new Promise<void>((r) => client.bind(0, '0.0.0.0', r));
    const ask = async (port: number, arch: number, type: number, xid: number) => {
      const vendor = `PXEClient:Arch:${String(arch).padStart(5, '0')}:UNDI:003000`;
      const packet = encodeDhcpPacket({
        op: 1, htype: 1, hlen: 6, hops: 0, xid, secs: 0, flags: type === 1 ? 0x8000 : 0,
        clientAddr: type === 1 ? '0.0.0.0' : '127.0.0.1', yourAddr: '0.0.0.0', serverAddr: '0.0.0.0', gatewayAddr: '0.0.0.0',
        clientHardwareAddr: Uint8Array.from([0x52, 0x54, 0, 0x77, 0, 1, ...new Array(10).fill(0)]), serverName: '', bootFile: '',
        options: new Map<number, Uint8Array>([[53, Uint8Array.of(type)], [93, Uint8Array.of(0, arch)], [94, Uint8Array.of(1, 3, 0)], [60, Buffer.from(vendor, 'latin1')]]),
      });
      replies.length = 0;
      await new Promise<void>((r, j) => client.send(packet, port, '127.0.0.1', (e) => (e ? j(e) : r())));
      const deadline = Date.now() + 3000;
      while (replies.length === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
      assert.ok(replies.length > 0, `no reply to arch ${arch} on ${port}`);
      return decodeDhcpPacket(replies[0]!);
    };
    const bcdOf = (r: ReturnType<typeof decodeDhcpPacket>) => Buffer.from(r.options.get(252) ?? []).toString('latin1');
    try {
      // The 4011 exchange is answered to the request's own source address and port
      // (docs/protocol-notes.md, "Port 4011"), so this unprivileged client needs no port 68; the
      // decision is the same as for the port-67 offer.
      const biosAck = await ask(responder.ports.proxy, 0, 3, 0x1001);
      assert.equal(biosAck.bootFile, '\\Boot\\pxeboot.n12');
      assert.equal(bcdOf(biosAck), '\\Boot\\BCD\0');
      const uefiAck = await ask(responder.ports.proxy, 7, 3, 0x1002);
      assert.equal(uefiAck.bootFile, '\\Boot\\bootmgfw.efi');
      assert.equal(bcdOf(uefiAck), '\\Boot\\EFI\\BCD\0');
      // bootmgfw takes the BCD path from the cached reply and asks our TFTP server for it.
      const fetched = await tftpGet(server.port, bcdOf(uefiAck).replace(/\0$/, ''), { tsize: '0', blksize: '1456' });
      assert.deepEqual(fetched.bytes, readFileSync(join(rootDir, 'Boot', 'EFI', 'BCD')));
      assert.ok(readBcdStore(fetched.bytes).length >= 3);
    } finally {
      client.close();
      await responder.close();
    }
  });

  test('a toolkit tree without the needed files is refused with their names', () => {
    const partial = Object.keys(TOOLKIT).filter((p) => !/bootmgr\.exe|boot\.sdi/.test(p));
    assert.throws(() => planWindowsBootRoot('/toolkit', partial, { firmware: ['bios'] }),
      (e: unknown) => e instanceof ToolkitIncompleteError && /missing bootmgr\.exe, boot\.sdi/.test(e.message));
    // UEFI alone does not need the BIOS programs.
    const uefiOnly = planWindowsBootRoot('/toolkit', partial.concat('media/Boot/boot.sdi'), { firmware: ['uefi'] });
    assert.deepEqual(uefiOnly.profile.bcdPath, { uefi: '\\Boot\\EFI\\BCD' });
  });
});
