// ARP for IPv4 over Ethernet (RFC 826). Other hardware/protocol types are rejected.
import { fail, need, put16, put32, u16, u32 } from './bounds.js';

export const ArpOperation = { Request: 1, Reply: 2 } as const;
export const ARP_PACKET_BYTES = 28;

export interface ArpPacket {
  readonly operation: number;
  readonly senderMac: Uint8Array;
  readonly senderIp: number;
  readonly targetMac: Uint8Array;
  readonly targetIp: number;
}

export function parseArp(b: Uint8Array): ArpPacket {
  need(b, 0, ARP_PACKET_BYTES, 'arp', 'packet');
  if (u16(b, 0) !== 1) fail('arp', 'hardware type', 0, `${u16(b, 0)} is not Ethernet`);
  if (u16(b, 2) !== 0x0800) fail('arp', 'protocol type', 2, `${u16(b, 2)} is not IPv4`);
  if (b[4] !== 6) fail('arp', 'hardware length', 4, `${b[4]}`);
  if (b[5] !== 4) fail('arp', 'protocol length', 5, `${b[5]}`);
  const operation = u16(b, 6);
  if (operation !== 1 && operation !== 2) fail('arp', 'operation', 6, `${operation}`);
  return {
    operation,
    senderMac: b.slice(8, 14),
    senderIp: u32(b, 14),
    targetMac: b.slice(18, 24),
    targetIp: u32(b, 24),
  };
}

export function emitArp(p: ArpPacket, out: Uint8Array, offset = 0): void {
  need(out, offset, ARP_PACKET_BYTES, 'arp', 'output');
  const o = offset;
  put16(out, o, 1);
  put16(out, o + 2, 0x0800);
  out[o + 4] = 6;
  out[o + 5] = 4;
  put16(out, o + 6, p.operation);
  out.set(p.senderMac, o + 8);
  put32(out, o + 14, p.senderIp);
  out.set(p.targetMac, o + 18);
  put32(out, o + 24, p.targetIp);
}
