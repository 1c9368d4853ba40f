// IPv4 headers (RFC 791). Options are length-checked and skipped (RFC 1122 §3.2.1.8 requires
// accepting them; none is acted upon). Fragment fields are exposed for reassembly.
import { fail, need, put16, put32, u16, u32 } from './bounds.js';
import { finishChecksum, sumWords } from './checksum.js';

export const IpProtocol = {
  ICMP: 1,
  TCP: 6,
  UDP: 17,
  IPv6Route: 43,
  IPv6Frag: 44,
  ICMPv6: 58,
  NoNext: 59,
  HopByHop: 0,
  DestOpts: 60,
} as const;
export const IPV4_HEADER_BYTES = 20;

export interface Ipv4Packet {
  readonly headerLength: number;
  readonly dscpEcn: number;
  readonly totalLength: number;
  readonly identification: number;
  readonly dontFragment: boolean;
  readonly moreFragments: boolean;
  /** Fragment offset in bytes. */
  readonly fragmentOffset: number;
  readonly ttl: number;
  readonly protocol: number;
  readonly source: number;
  readonly destination: number;
  /** Payload up to totalLength (Ethernet padding removed); a view. */
  readonly payload: Uint8Array;
}

/** Parses and validates an IPv4 header, including its checksum unless `verifyChecksum` is false. */
export function parseIpv4(b: Uint8Array, verifyChecksum = true): Ipv4Packet {
  need(b, 0, IPV4_HEADER_BYTES, 'ipv4', 'header');
  const version = b[0]! >>> 4;
  if (version !== 4) fail('ipv4', 'version', 0, `${version}`);
  const headerLength = (b[0]! & 0x0f) * 4;
  if (headerLength < IPV4_HEADER_BYTES) fail('ipv4', 'IHL', 0, `${headerLength} bytes is below 20`);
  need(b, 0, headerLength, 'ipv4', 'options');
  const totalLength = u16(b, 2);
  if (totalLength < headerLength) fail('ipv4', 'total length', 2, `${totalLength} < header ${headerLength}`);
  if (totalLength > b.length) fail('ipv4', 'total length', 2, `${totalLength} exceeds the ${b.length} bytes received`);
  if (verifyChecksum && finishChecksum(sumWords(b, 0, headerLength)) !== 0)
    fail('ipv4', 'header checksum', 10, 'mismatch');
  const frag = u16(b, 6);
  if (frag & 0x8000) fail('ipv4', 'flags', 6, 'reserved bit set');
  return {
    headerLength,
    dscpEcn: b[1]!,
    totalLength,
    identification: u16(b, 4),
    dontFragment: (frag & 0x4000) !== 0,
    moreFragments: (frag & 0x2000) !== 0,
    fragmentOffset: (frag & 0x1fff) * 8,
    ttl: b[8]!,
    protocol: b[9]!,
    source: u32(b, 12),
    destination: u32(b, 16),
    payload: b.subarray(headerLength, totalLength),
  };
}

export interface Ipv4HeaderFields {
  source: number;
  destination: number;
  protocol: number;
  payloadLength: number;
  ttl?: number;
  identification?: number;
  dontFragment?: boolean;
  moreFragments?: boolean;
  fragmentOffset?: number;
}

/** Writes a 20-byte header (no options) with its checksum at `offset`. */
export function emitIpv4Header(out: Uint8Array, offset: number, f: Ipv4HeaderFields): void {
  need(out, offset, IPV4_HEADER_BYTES, 'ipv4', 'output');
  const o = offset;
  out[o] = 0x45;
  out[o + 1] = 0;
  put16(out, o + 2, IPV4_HEADER_BYTES + f.payloadLength);
  put16(out, o + 4, f.identification ?? 0);
  put16(out, o + 6, (f.dontFragment ? 0x4000 : 0) | (f.moreFragments ? 0x2000 : 0) | ((f.fragmentOffset ?? 0) >>> 3));
  out[o + 8] = f.ttl ?? 64;
  out[o + 9] = f.protocol;
  put16(out, o + 10, 0);
  put32(out, o + 12, f.source);
  put32(out, o + 16, f.destination);
  put16(out, o + 10, finishChecksum(sumWords(out, o, IPV4_HEADER_BYTES)));
}
