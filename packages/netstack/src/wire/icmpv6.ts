// ICMPv6 (RFC 4443) and Neighbor Discovery messages (RFC 4861 §4): router solicitation and
// advertisement, neighbour solicitation and advertisement, with the source/target link-layer
// address, prefix information and MTU options (§4.6). The checksum covers the IPv6 pseudo-header.
import { fail, need, put16, put32, u32 } from './bounds.js';
import { finishChecksum, pseudoSumV6, sumWords } from './checksum.js';

export const Icmpv6Type = {
  DestinationUnreachable: 1,
  PacketTooBig: 2,
  TimeExceeded: 3,
  ParameterProblem: 4,
  EchoRequest: 128,
  EchoReply: 129,
  RouterSolicitation: 133,
  RouterAdvertisement: 134,
  NeighborSolicitation: 135,
  NeighborAdvertisement: 136,
  Redirect: 137,
} as const;

export const NdpOption = {
  SourceLinkLayer: 1,
  TargetLinkLayer: 2,
  PrefixInformation: 3,
  RedirectedHeader: 4,
  Mtu: 5,
} as const;

export interface NdpPrefix {
  prefixLength: number;
  onLink: boolean;
  autonomous: boolean;
  validLifetimeS: number;
  preferredLifetimeS: number;
  prefix: Uint8Array;
}

export interface NdpOptions {
  sourceLinkLayer?: Uint8Array;
  targetLinkLayer?: Uint8Array;
  prefixes: NdpPrefix[];
  mtu?: number;
}

export interface Icmpv6Message {
  type: number;
  code: number;
  /** The 4 bytes after the checksum. */
  rest: number;
  body: Uint8Array;
}

export function parseIcmpv6(b: Uint8Array, source: Uint8Array, destination: Uint8Array, verify = true): Icmpv6Message {
  need(b, 0, 8, 'icmpv6', 'header');
  if (verify && finishChecksum(sumWords(b, 0, b.length, pseudoSumV6(source, destination, 58, b.length))) !== 0) {
    fail('icmpv6', 'checksum', 2, 'mismatch');
  }
  return { type: b[0]!, code: b[1]!, rest: u32(b, 4), body: b.subarray(8) };
}

/** Parses NDP options from `b` starting at `offset` (RFC 4861 §4.6: a zero length is invalid). */
export function parseNdpOptions(b: Uint8Array, offset: number): NdpOptions {
  const o: NdpOptions = { prefixes: [] };
  let i = offset;
  while (i < b.length) {
    need(b, i, 2, 'ndp', 'option header');
    const type = b[i]!;
    const len = b[i + 1]! * 8;
    if (len === 0) fail('ndp', 'option length', i + 1, 'zero');
    need(b, i, len, 'ndp', `option ${type}`);
    switch (type) {
      case NdpOption.SourceLinkLayer:
      case NdpOption.TargetLinkLayer:
        if (len < 8) fail('ndp', 'link-layer option', i, 'too short');
        if (type === 1) o.sourceLinkLayer = b.slice(i + 2, i + 8);
        else o.targetLinkLayer = b.slice(i + 2, i + 8);
        break;
      case NdpOption.PrefixInformation:
        if (len !== 32) fail('ndp', 'prefix information length', i + 1, `${len}`);
        o.prefixes.push({
          prefixLength: b[i + 2]!,
          onLink: (b[i + 3]! & 0x80) !== 0,
          autonomous: (b[i + 3]! & 0x40) !== 0,
          validLifetimeS: u32(b, i + 4),
          preferredLifetimeS: u32(b, i + 8),
          prefix: b.slice(i + 16, i + 32),
        });
        break;
      case NdpOption.Mtu:
        if (len !== 8) fail('ndp', 'MTU option length', i + 1, `${len}`);
        o.mtu = u32(b, i + 4);
        break;
      default:
        break;
    }
    i += len;
  }
  return o;
}

/** Builds an ICMPv6 message (type, code, 4-byte rest, body) with its checksum. */
export function emitIcmpv6(
  type: number,
  code: number,
  rest: number,
  body: Uint8Array,
  source: Uint8Array,
  destination: Uint8Array,
): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  out[0] = type;
  out[1] = code;
  put32(out, 4, rest);
  out.set(body, 8);
  put16(out, 2, finishChecksum(sumWords(out, 0, out.length, pseudoSumV6(source, destination, 58, out.length))));
  return out;
}

/** Body of a Neighbour Solicitation/Advertisement: target address plus an optional link-layer option. */
export function ndpTargetBody(
  target: Uint8Array,
  optionType: number | undefined,
  mac: Uint8Array | undefined,
): Uint8Array {
  const body = new Uint8Array(16 + (mac && optionType ? 8 : 0));
  body.set(target, 0);
  if (mac && optionType) {
    body[16] = optionType;
    body[17] = 1;
    body.set(mac, 18);
  }
  return body;
}

/** Router Advertisement fields (RFC 4861 §4.2). */
export interface RouterAdvertisement {
  curHopLimit: number;
  managed: boolean;
  other: boolean;
  routerLifetimeS: number;
  reachableTimeMs: number;
  retransTimerMs: number;
  options: NdpOptions;
}

export function parseRouterAdvertisement(m: Icmpv6Message): RouterAdvertisement {
  need(m.body, 0, 8, 'ndp', 'router advertisement');
  return {
    curHopLimit: m.rest >>> 24,
    managed: ((m.rest >>> 16) & 0x80) !== 0,
    other: ((m.rest >>> 16) & 0x40) !== 0,
    routerLifetimeS: m.rest & 0xffff,
    reachableTimeMs: u32(m.body, 0),
    retransTimerMs: u32(m.body, 4),
    options: parseNdpOptions(m.body, 8),
  };
}

/** Builds a Router Advertisement body (for tests and simulated routers). */
export function routerAdvertisementBody(
  prefixes: NdpPrefix[],
  sourceMac: Uint8Array | undefined,
  mtu?: number,
): Uint8Array {
  const size = 8 + (sourceMac ? 8 : 0) + 32 * prefixes.length + (mtu ? 8 : 0);
  const b = new Uint8Array(size);
  let i = 8;
  if (sourceMac) {
    b[i] = 1;
    b[i + 1] = 1;
    b.set(sourceMac, i + 2);
    i += 8;
  }
  for (const p of prefixes) {
    b[i] = 3;
    b[i + 1] = 4;
    b[i + 2] = p.prefixLength;
    b[i + 3] = (p.onLink ? 0x80 : 0) | (p.autonomous ? 0x40 : 0);
    put32(b, i + 4, p.validLifetimeS);
    put32(b, i + 8, p.preferredLifetimeS);
    b.set(p.prefix, i + 16);
    i += 32;
  }
  if (mtu) {
    b[i] = 5;
    b[i + 1] = 1;
    put32(b, i + 4, mtu);
  }
  return b;
}
