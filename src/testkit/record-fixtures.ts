/**
 * Records the golden packet captures of real firmware that the DHCP and TFTP codec tests decode.
 *
 *   node --import tsx src/testkit/record-fixtures.ts [--keep]    (as root; about a minute; --keep keeps
 *                                                                 the raw captures, logs and serial output)
 *
 * For each firmware it builds a lab (DHCP-only dnsmasq as the unchanged server, dnsmasq as a
 * stand-in proxyDHCP + TFTP responder, see src/lab/dnsmasq-args.ts), boots QEMU until the chained iPXE has
 * run a one-line marker script, captures every UDP packet on the VM's tap, and cuts the capture
 * into small files (capture-split.ts):
 *   src/protocol/dhcp/testdata/seabios-ipxe-rom.pcap   SeaBIOS + iPXE NIC ROM: DORA + the 4011 PXEBS exchange
 *   src/protocol/dhcp/testdata/undionly-chained.pcap   the chained undionly.kpxe's DHCP
 *   src/protocol/dhcp/testdata/ovmf-pxe.pcap           OVMF native PXE: DORA + the 4011 exchange from port 4011
 *   src/protocol/dhcp/testdata/ipxe-efi-chained.pcap   the chained ipxe.efi's DHCP
 *   src/protocol/tftp/testdata/ovmf-tftp.pcap          OVMF's TFTP of ipxe.efi: tsize probe + ERROR 8, first blocks
 * and writes a README.md beside each set saying how, when and with which firmware they were recorded.
 */
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IPXE_FILES, repoRoot } from '../lab/boot-root.js';
import { classifyCapture, dhcpOptionBytes, splitBootCapture, type CapturedPacket } from './capture-split.js';
import { Lab } from '../lab/lab.js';
import { readPcap, writePcap, type PcapFile } from './pcap/pcap-file.js';
import { udpInEthernet } from './pcap/udp-datagrams.js';
import { missingLabPrerequisites } from '../lab/preflight.js';
import { LAB_VM_MAC, LAB_VM_UUID, type VmFirmware } from '../lab/qemu-vm.js';

const MARKER = 'PEERBOOT-FIXTURE-CHAINED';
const PACKAGES = ['qemu-system-x86', 'seabios', 'ipxe-qemu', 'ipxe', 'ovmf', 'dnsmasq-base', 'tcpdump'];

interface Fixture {
  dir: 'dhcp' | 'tftp';
  file: string;
  what: string;
  pcap: PcapFile;
  indices: number[];
  packets: CapturedPacket[];
}

async function recordBoot(firmware: VmFirmware, workDir: string): Promise<{ pcap: PcapFile; serial: string; seconds: number }> {
  const root = join(workDir, 'root');
  mkdirSync(root, { recursive: true });
  copyFileSync(IPXE_FILES.bios, join(root, 'undionly.kpxe'));
  copyFileSync(IPXE_FILES.uefi, join(root, 'ipxe.efi'));
  writeFileSync(join(root, 'marker.ipxe'), `#!ipxe\necho ${MARKER}\nsleep 1\nreboot\n`);
  const lab = await Lab.create({ workDir, log: (m) => console.log(`  ${m}`) });
  try {
    await lab.startDhcpServer();
    await lab.startProxyDnsmasq(lab.peer(1), { root, bios: 'undionly.kpxe', uefi: 'ipxe.efi', ipxeScript: 'marker.ipxe' });
    const capture = await lab.startCapture(`raw-${firmware}`, 'udp');
    const vm = lab.startVm({ firmware });
    const hit = await vm.waitForMarker(new RegExp(MARKER), 180_000);
    await new Promise((r) => setTimeout(r, 1500));
    await vm.stop();
    await lab.tracker.stop(capture.process);
    return { pcap: readPcap(readFileSync(capture.path)), serial: vm.serialText(), seconds: hit.elapsedMs / 1000 };
  } finally {
    await lab.teardown();
  }
}

const MESSAGE_TYPES = ['?', 'DISCOVER', 'OFFER', 'REQUEST', 'DECLINE', 'ACK', 'NAK', 'RELEASE', 'INFORM'];
const TFTP_OPCODES = ['?', 'RRQ', 'WRQ', 'DATA', 'ACK', 'ERROR', 'OACK'];

/** One line per packet for the README: time, endpoints, and what it is. */
function describe(pcap: PcapFile, packets: CapturedPacket[], indices: number[]): string[] {
  const first = pcap.records[indices[0] ?? 0];
  const t0 = first ? first.seconds + first.fraction / (pcap.nanoseconds ? 1e9 : 1e6) : 0;
  return indices.map((i, n) => {
    const r = pcap.records[i];
    const p = packets[i];
    const d = r ? udpInEthernet(r.data) : null;
    if (!r || !p || !d) return `${n + 1}. ?`;
    const t = r.seconds + r.fraction / (pcap.nanoseconds ? 1e9 : 1e6) - t0;
    const ends = `${d.srcIp}:${d.srcPort} → ${d.dstIp}:${d.dstPort}`;
    let what = '';
    if (p.proto === 'dhcp') {
      what = `${p.op === 1 ? 'client' : 'server'} ${MESSAGE_TYPES[p.messageType ?? 0] ?? p.messageType}`;
      const vc = dhcpOptionBytes(d.payload, 60);
      const uc = dhcpOptionBytes(d.payload, 77);
      const arch = dhcpOptionBytes(d.payload, 93);
      if (vc) what += `, 60="${Buffer.from(vc).toString('latin1')}"`;
      if (arch) what += `, 93=${Buffer.from(arch).toString('hex')}`;
      if (uc) what += `, 77="${Buffer.from(uc).toString('latin1')}"`;
      if (dhcpOptionBytes(d.payload, 43)) what += ', 43 present';
    } else if (p.proto === 'tftp') {
      what = `TFTP ${TFTP_OPCODES[p.opcode] ?? p.opcode}`;
      if (p.filename !== null) what += ` "${p.filename}"`;
      if (p.block !== null) what += ` block ${p.block}`;
      if (p.opcode === 1 || p.opcode === 6 || p.opcode === 5) {
        const body = Buffer.from(d.payload.slice(p.opcode === 5 ? 4 : 2)).toString('latin1').split('\0').filter((s) => s.length > 0);
        what += ` [${(p.opcode === 1 ? body.slice(1) : body).join(' ')}]`;
      }
    }
    return `${n + 1}. +${t.toFixed(3)} s  ${ends}  ${what} (${d.payload.length} B)`;
  });
}

function packageVersions(): string[] {
  return PACKAGES.map((p) => {
    const r = spawnSync('dpkg-query', ['-W', '-f=${Version}', p], { encoding: 'utf8' });
    return `- ${p} ${r.status === 0 ? r.stdout.trim() : '(not installed)'}`;
  });
}

function readme(title: string, fixtures: Fixture[], notes: string[]): string {
  const lines = [
    `# ${title}`,
    '',
    'Golden captures of real firmware, recorded in the peerboot firmware lab (network namespaces + QEMU/TCG),',
    'with dnsmasq as a stand-in proxyDHCP responder and dnsmasq as the unchanged DHCP-only server.',
    '**Generated by `src/testkit/record-fixtures.ts`; re-run it (as root) instead of editing this file:**',
    '',
    '```sh',
    'node --import tsx src/testkit/record-fixtures.ts',
    '```',
    '',
    `Recorded ${new Date().toISOString().slice(0, 10)} on Debian 12 with:`,
    ...packageVersions(),
    '',
    `The VM: QEMU \`pc\` machine, virtio-net, MAC ${LAB_VM_MAC}, \`-uuid ${LAB_VM_UUID}\``,
    '(so option 97 is `00` + `07b0117a 0100 0d4c 8e5f 525400770001`: the first three UUID fields little-endian).',
    'Addresses: DHCP server 10.77.0.2 (leases 10.77.0.100-199), stand-in responder 10.77.0.11.',
    'Each file holds whole Ethernet frames (classic pcap, link type 1) of both directions: the client\'s',
    'requests and the replies of both dnsmasq instances. Use the `op` byte (1 = client) to pick.',
    '',
    ...notes,
    '',
  ];
  for (const f of fixtures) {
    lines.push(`## ${f.file}`, '', f.what, '', ...describe(f.pcap, f.packets, f.indices), '');
  }
  return lines.join('\n');
}

const GENERATED = 'Generated by `src/testkit/record-fixtures.ts`';

/** README.md, unless someone else owns one there: then CAPTURES.md beside it. */
function writeReadme(dir: string, text: string): void {
  let target = join(dir, 'README.md');
  try {
    if (!readFileSync(target, 'utf8').includes(GENERATED)) target = join(dir, 'CAPTURES.md');
  } catch {
    // no README yet: ours
  }
  writeFileSync(target, text);
}

async function main(): Promise<number> {
  const missing = missingLabPrerequisites({ needKernel: false });
  if (missing.length > 0) {
    for (const m of missing) console.error(`record-fixtures: ${m}`);
    return 1;
  }
  const workDir = mkdtempSync(join(tmpdir(), 'peerboot-fixtures-'));
  const dhcpDir = join(repoRoot(), 'src', 'protocol', 'dhcp', 'testdata');
  const tftpDir = join(repoRoot(), 'src', 'protocol', 'tftp', 'testdata');
  mkdirSync(dhcpDir, { recursive: true });
  mkdirSync(tftpDir, { recursive: true });
  const fixtures: Fixture[] = [];
  const versions: string[] = [];
  try {
    for (const firmware of ['bios', 'uefi'] as const) {
      console.log(`recording ${firmware} boot …`);
      const { pcap, serial, seconds } = await recordBoot(firmware, join(workDir, firmware));
      console.log(`  chained iPXE ran its script ${seconds.toFixed(1)} s after power-on`);
      const ipxeVersion = /iPXE (\d[^\s]*)/.exec(serial)?.[1];
      if (ipxeVersion) versions.push(`${firmware}: iPXE ${ipxeVersion}`);
      const packets = classifyCapture(pcap.records);
      const split = splitBootCapture(packets, 8);
      if (firmware === 'bios') {
        fixtures.push(
          { dir: 'dhcp', file: 'seabios-ipxe-rom.pcap', pcap, packets, indices: split.firmwareDhcp,
            what: 'SeaBIOS + the iPXE NIC ROM (QEMU efi-virtio.rom) up to the NBP download: DISCOVER, the proxy OFFER with a PXE menu, DORA with the DHCP server, then the PXE boot-server REQUEST to 10.77.0.11:4011 (from port 68, with 43.71) and its ACK.' },
          { dir: 'dhcp', file: 'undionly-chained.pcap', pcap, packets, indices: split.chainedDhcp,
            what: 'The chained undionly.kpxe (through the ROM\'s UNDI): its DISCOVER/REQUEST (60 = plain "PXEClient") and the replies (proxy OFFER with a filename).' },
        );
      } else {
        fixtures.push(
          { dir: 'dhcp', file: 'ovmf-pxe.pcap', pcap, packets, indices: split.firmwareDhcp,
            what: 'OVMF native PXE (EDK2 PxeBcDxe, NIC ROM disabled) up to the NBP download: DISCOVER (93 = 7, no 77), the empty proxy OFFER (siaddr, no 43, no file), DORA, then the REQUEST from port 4011 to 10.77.0.11:4011 and its ACK with file=ipxe.efi.' },
          { dir: 'dhcp', file: 'ipxe-efi-chained.pcap', pcap, packets, indices: split.chainedDhcp,
            what: 'The chained ipxe.efi: its DISCOVER/REQUEST (60 = PXEClient:Arch:00007:UNDI:003010, 77 = iPXE, 175) and the replies.' },
          { dir: 'tftp', file: 'ovmf-tftp.pcap', pcap, packets, indices: split.nbpTftp,
            what: 'OVMF fetching ipxe.efi: RRQ with tsize=0 blksize windowsize, OACK, the client\'s ERROR 8 ending that size probe, then the real RRQ, its OACK and the first DATA/ACK packets (blocks ≤ 8 only, to keep the file small).' },
        );
      }
    }
    for (const f of fixtures) {
      if (f.indices.length === 0) throw new Error(`no packets for ${f.file}: the boot did not go as expected`);
      const bytes = writePcap(f.pcap, f.indices.map((i) => f.pcap.records[i]).filter((r) => r !== undefined));
      if (bytes.length > 100_000) throw new Error(`${f.file} would be ${bytes.length} bytes (> 100 KB)`);
      writeFileSync(join(f.dir === 'dhcp' ? dhcpDir : tftpDir, f.file), bytes);
      console.log(`wrote ${f.dir}/testdata/${f.file}: ${f.indices.length} packets, ${bytes.length} bytes`);
    }
    const notes = versions.length > 0 ? ['Firmware banners seen on the serial console:', ...versions.map((v) => `- ${v}`)] : [];
    writeReadme(dhcpDir, readme('DHCP golden captures', fixtures.filter((f) => f.dir === 'dhcp'), notes));
    writeReadme(tftpDir, readme('TFTP golden captures', fixtures.filter((f) => f.dir === 'tftp'), notes));
    return 0;
  } finally {
    if (process.argv.includes('--keep')) console.log(`kept the raw captures and logs in ${workDir}`);
    else rmSync(workDir, { recursive: true, force: true });
  }
}

process.exitCode = await main();
