// DHCPv4 messages (RFC 2131 §2 layout, RFC 2132 options). Options are parsed TLV by TLV with
// each length checked; option overload (52) into sname/file is honoured. Unknown options are
// kept raw.
import { fail, need, put16, put32, u16, u32 } from './bounds.js';

export const DHCP_MAGIC_COOKIE = 0x63825363;
export const DhcpMessageType = {
  Discover: 1,
  Offer: 2,
  Request: 3,
  Decline: 4,
  Ack: 5,
  Nak: 6,
  Release: 7,
  Inform: 8,
} as const;
export const DhcpOption = {
  Pad: 0,
  SubnetMask: 1,
  Router: 3,
  DomainNameServer: 6,
  HostName: 12,
  DomainName: 15,
  InterfaceMtu: 26,
  BroadcastAddress: 28,
  RequestedIpAddress: 50,
  LeaseTime: 51,
  Overload: 52,
  MessageType: 53,
  ServerIdentifier: 54,
  ParameterRequestList: 55,
  Message: 56,
  MaxMessageSize: 57,
  RenewalTime: 58,
  RebindingTime: 59,
  ClientIdentifier: 61,
  End: 255,
} as const;

const FIXED_BYTES = 236;

export interface DhcpMessage {
  op: 1 | 2;
  xid: number;
  secs: number;
  broadcast: boolean;
  ciaddr: number;
  yiaddr: number;
  siaddr: number;
  giaddr: number;
  chaddr: Uint8Array;
  /** Raw options by code (the last occurrence's bytes, concatenated per RFC 3396 when repeated). */
  options: Map<number, Uint8Array>;
}

export function parseDhcp(b: Uint8Array): DhcpMessage {
  need(b, 0, FIXED_BYTES + 4, 'dhcp', 'header');
  const op = b[0]!;
  if (op !== 1 && op !== 2) fail('dhcp', 'op', 0, `${op}`);
  if (b[1] !== 1 || b[2] !== 6) fail('dhcp', 'htype/hlen', 1, 'not Ethernet');
  if (u32(b, FIXED_BYTES) !== DHCP_MAGIC_COOKIE) fail('dhcp', 'magic cookie', FIXED_BYTES, 'missing');
  const options = new Map<number, Uint8Array>();
  parseOptionArea(b, FIXED_BYTES + 4, b.length, options);
  const overload = options.get(DhcpOption.Overload);
  if (overload && overload.length === 1) {
    if (overload[0]! & 1) parseOptionArea(b, 108, 236, options); // file
    if (overload[0]! & 2) parseOptionArea(b, 44, 108, options); // sname
  }
  return {
    op: op,
    xid: u32(b, 4),
    secs: u16(b, 8),
    broadcast: (u16(b, 10) & 0x8000) !== 0,
    ciaddr: u32(b, 12),
    yiaddr: u32(b, 16),
    siaddr: u32(b, 20),
    giaddr: u32(b, 24),
    chaddr: b.slice(28, 34),
    options,
  };
}

function parseOptionArea(b: Uint8Array, start: number, end: number, into: Map<number, Uint8Array>): void {
  let i = start;
  while (i < end) {
    const code = b[i]!;
    if (code === DhcpOption.End) return;
    if (code === DhcpOption.Pad) {
      i++;
      continue;
    }
    if (i + 1 >= end) fail('dhcp', 'option length', i + 1, `option ${code} truncated`);
    const len = b[i + 1]!;
    if (i + 2 + len > end) fail('dhcp', 'option length', i + 1, `option ${code} length ${len} runs past the message`);
    const value = b.slice(i + 2, i + 2 + len);
    const prev = into.get(code);
    if (prev) {
      // RFC 3396: a repeated option is one long option split in pieces.
      const joined = new Uint8Array(prev.length + value.length);
      joined.set(prev);
      joined.set(value, prev.length);
      into.set(code, joined);
    } else into.set(code, value);
    i += 2 + len;
  }
}

export function emitDhcp(m: DhcpMessage): Uint8Array {
  let optLen = 0;
  for (const v of m.options.values()) optLen += 2 * Math.ceil(Math.max(v.length, 1) / 255) + v.length;
  const size = Math.max(300, FIXED_BYTES + 4 + optLen + 1); // BOOTP minimum of 300 bytes
  const b = new Uint8Array(size);
  b[0] = m.op;
  b[1] = 1;
  b[2] = 6;
  put32(b, 4, m.xid);
  put16(b, 8, m.secs);
  put16(b, 10, m.broadcast ? 0x8000 : 0);
  put32(b, 12, m.ciaddr);
  put32(b, 16, m.yiaddr);
  put32(b, 20, m.siaddr);
  put32(b, 24, m.giaddr);
  b.set(m.chaddr.subarray(0, 16), 28);
  put32(b, FIXED_BYTES, DHCP_MAGIC_COOKIE);
  let i = FIXED_BYTES + 4;
  for (const [code, v] of m.options) {
    let off = 0;
    do {
      const n = Math.min(255, v.length - off);
      b[i] = code;
      b[i + 1] = n;
      b.set(v.subarray(off, off + n), i + 2);
      i += 2 + n;
      off += n;
    } while (off < v.length);
  }
  b[i] = DhcpOption.End;
  return b;
}

/** Reads an option holding one or more IPv4 addresses. */
export function dhcpAddresses(v: Uint8Array | undefined): number[] {
  if (!v || v.length % 4 !== 0) return [];
  const out: number[] = [];
  for (let i = 0; i < v.length; i += 4) out.push(u32(v, i));
  return out;
}

export function dhcpU32(v: Uint8Array | undefined): number | undefined {
  return v && v.length === 4 ? u32(v, 0) : undefined;
}

export function u32Bytes(n: number): Uint8Array {
  const b = new Uint8Array(4);
  put32(b, 0, n);
  return b;
}
