/**
 * The real TFTP clients the bench drives, each as the firmware profile it stands for
 * (docs/protocol-notes.md, "TFTP clients in the field"): lock-step with blksize 1468 (curl,
 * busybox: iPXE/BIOS-ROM-like), no options at all (tftp-hpa 5.2's client cannot negotiate:
 * 512-byte blocks, legacy PXE ROM), and RFC 7440 windowed (atftp with windowsize 8 and 32: EDK2/Windows-like).
 */

export interface TftpClientSpec {
  name: string;
  mode: 'lockstep' | 'windowed';
  argv(ip: string, port: number, remote: string, local: string): string[];
  /** The same download from a chosen local source address (storms: one address per simulated machine). */
  argvFrom?(source: string, ip: string, port: number, remote: string, local: string): string[];
}

export const tftpClients: TftpClientSpec[] = [
  {
    name: 'curl',
    mode: 'lockstep',
    argv: (ip, port, remote, local) => ['curl', '-sS', '--tftp-blksize', '1468', '-o', local, `tftp://${ip}:${port}/${remote}`],
    argvFrom: (source, ip, port, remote, local) => ['curl', '-sS', '--interface', source, '--tftp-blksize', '1468', '-o', local, `tftp://${ip}:${port}/${remote}`],
  },
  {
    name: 'busybox',
    mode: 'lockstep',
    argv: (ip, port, remote, local) => ['busybox', 'tftp', '-b', '1468', '-g', '-r', remote, '-l', local, ip, String(port)],
  },
  {
    name: 'tftp-hpa',
    mode: 'lockstep',
    argv: (ip, port, remote, local) => ['tftp', '-m', 'octet', ip, String(port), '-c', 'get', remote, local],
  },
  {
    name: 'atftp-w8',
    mode: 'windowed',
    argv: (ip, port, remote, local) => ['atftp', '--option', 'blksize 1468', '--option', 'windowsize 8', '-g', '-r', remote, '-l', local, ip, String(port)],
  },
  {
    name: 'atftp-w32',
    mode: 'windowed',
    argv: (ip, port, remote, local) => ['atftp', '--option', 'blksize 1468', '--option', 'windowsize 32', '-g', '-r', remote, '-l', local, ip, String(port)],
  },
];

export function clientByName(name: string): TftpClientSpec {
  const c = tftpClients.find((x) => x.name === name);
  if (!c) throw new Error(`unknown client ${name}`);
  return c;
}
