// IPv6 headers (RFC 8200 §3) and the extension-header chain (§4): Hop-by-Hop, Routing,
// Fragment and Destination Options are walked with every length checked, up to a bound on the
// chain length. Options inside them are skipped, except that an unrecognised option whose type
// demands it makes the packet invalid (§4.2 action bits are reported to the caller). Routing
// headers with segments left are refused (RFC 5095 deprecates type 0).
import { fail, need, put16, u16, u32 } from './bounds.js';
import { IpProtocol } from './ipv4.js';

export const IPV6_HEADER_BYTES = 40;
const MAX_EXTENSION_HEADERS = 8;

export interface Ipv6Fragment {
  offset: number;
  moreFragments: boolean;
  identification: number;
}

export interface Ipv6Packet {
  readonly trafficClass: number;
  readonly flowLabel: number;
  readonly hopLimit: number;
  readonly source: Uint8Array;
  readonly destination: Uint8Array;
  /** The upper-layer protocol after the extension headers. */
  readonly protocol: number;
  /** Upper-layer payload (a view). */
  readonly payload: Uint8Array;
  readonly fragment: Ipv6Fragment | undefined;
  /** Offset of the upper-layer header from the start of the IPv6 header. */
  readonly payloadOffset: number;
}

export function parseIpv6(b: Uint8Array): Ipv6Packet {
  need(b, 0, IPV6_HEADER_BYTES, 'ipv6', 'header');
  const version = b[0]! >>> 4;
  if (version !== 6) fail('ipv6', 'version', 0, `${version}`);
  const payloadLength = u16(b, 4);
  if (payloadLength === 0) fail('ipv6', 'payload length', 4, 'jumbograms are not supported');
  if (IPV6_HEADER_BYTES + payloadLength > b.length)
    fail('ipv6', 'payload length', 4, `${payloadLength} exceeds the ${b.length - 40} bytes received`);
  const end = IPV6_HEADER_BYTES + payloadLength;
  let next = b[6]!;
  let off = IPV6_HEADER_BYTES;
  let fragment: Ipv6Fragment | undefined;
  for (let n = 0; ; n++) {
    if (n > MAX_EXTENSION_HEADERS) fail('ipv6', 'next header', off, 'extension header chain too long');
    if (next === IpProtocol.HopByHop && n !== 0)
      fail('ipv6', 'next header', off, 'hop-by-hop header not first (RFC 8200 §4.1)');
    if (next === IpProtocol.HopByHop || next === IpProtocol.DestOpts || next === IpProtocol.IPv6Route) {
      need(b, off, 8, 'ipv6', 'extension header');
      const len = (b[off + 1]! + 1) * 8;
      if (off + len > end) fail('ipv6', 'extension header length', off + 1, `${len} bytes run past the payload`);
      if (next === IpProtocol.IPv6Route) {
        if (b[off + 3] !== 0) fail('ipv6', 'routing segments left', off + 3, 'source routing is not supported');
      } else {
        checkOptions(b, off + 2, off + len);
      }
      next = b[off]!;
      off += len;
      continue;
    }
    if (next === IpProtocol.IPv6Frag) {
      need(b, off, 8, 'ipv6', 'fragment header');
      if (off + 8 > end) fail('ipv6', 'fragment header', off, 'runs past the payload');
      const fo = u16(b, off + 2);
      fragment = { offset: fo & 0xfff8, moreFragments: (fo & 1) === 1, identification: u32(b, off + 4) };
      next = b[off]!;
      off += 8;
      if (fragment.offset !== 0 || fragment.moreFragments) break; // later headers are in the reassembled payload
      continue;
    }
    break;
  }
  return {
    trafficClass: ((b[0]! & 0x0f) << 4) | (b[1]! >>> 4),
    flowLabel: ((b[1]! & 0x0f) << 16) | u16(b, 2),
    hopLimit: b[7]!,
    source: b.subarray(8, 24),
    destination: b.subarray(24, 40),
    protocol: next,
    payload: b.subarray(off, end),
    fragment,
    payloadOffset: off,
  };
}

/** Walks TLV options (RFC 8200 §4.2); an unknown option with action bits != 00 rejects the packet. */
function checkOptions(b: Uint8Array, start: number, end: number): void {
  let i = start;
  while (i < end) {
    const type = b[i]!;
    if (type === 0) {
      i++;
      continue;
    }
    if (i + 1 >= end) fail('ipv6', 'option length', i + 1, 'truncated option');
    const len = b[i + 1]!;
    if (i + 2 + len > end) fail('ipv6', 'option length', i + 1, `option ${type} runs past its header`);
    const known = type === 1 || type === 5; /* router alert */
    if (!known && type >>> 6 !== 0) fail('ipv6', 'option type', i, `unrecognised option ${type} must not be skipped`);
    i += 2 + len;
  }
}

export interface Ipv6HeaderFields {
  source: Uint8Array;
  destination: Uint8Array;
  protocol: number;
  payloadLength: number;
  hopLimit?: number;
}

export function emitIpv6Header(out: Uint8Array, offset: number, f: Ipv6HeaderFields): void {
  need(out, offset, IPV6_HEADER_BYTES, 'ipv6', 'output');
  out[offset] = 0x60;
  out[offset + 1] = 0;
  out[offset + 2] = 0;
  out[offset + 3] = 0;
  put16(out, offset + 4, f.payloadLength);
  out[offset + 6] = f.protocol;
  out[offset + 7] = f.hopLimit ?? 64;
  out.set(f.source, offset + 8);
  out.set(f.destination, offset + 24);
}
