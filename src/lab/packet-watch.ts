/** placeholder */
import type { LabProcess } from './lab-processes.js';
export class PacketWatch {
  static readonly FILTER = 'udp port 67 or udp port 68 or udp port 4011 or udp port 69 or (tcp[tcpflags] & tcp-syn != 0)';
  process: LabProcess | null = null;
  readonly lines: string[] = [];
  feed(line: string): void { this.lines.push(line); }
}
