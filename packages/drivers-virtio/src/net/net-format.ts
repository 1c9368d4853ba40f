// virtio-net wire format (virtio 1.2 §5.1): feature bits, configuration layout, and the
// virtio_net_hdr that precedes every frame (12 bytes once VERSION_1 is negotiated, §5.1.6).
// Plus the Internet checksum and the L4 locator the checksum offload needs (RFC 1071).

export const NetFeature = {
  CSUM: 0n,
  GUEST_CSUM: 1n,
  MTU: 3n,
  MAC: 5n,
  GUEST_TSO4: 7n,
  GUEST_TSO6: 8n,
  HOST_TSO4: 11n,
  HOST_TSO6: 12n,
  MRG_RXBUF: 15n,
  STATUS: 16n,
} as const;

export const NetConfig = { mac: 0, status: 6, maxVirtqueuePairs: 8, mtu: 10, bytes: 12 } as const;
export const NET_S_LINK_UP = 1;

export const NET_RECEIVEQ = 0;
export const NET_TRANSMITQ = 1;

export const NET_HDR_BYTES = 12;
export const NET_HDR_F_NEEDS_CSUM = 1;
export const NET_HDR_F_DATA_VALID = 2;
export const NET_HDR_GSO_NONE = 0;
export const NET_HDR_GSO_TCPV4 = 1;
export const NET_HDR_GSO_TCPV6 = 4;
/** The ECN bit of gso_type (§5.1.6.2): the segments carry CWR. */
export const NET_HDR_GSO_ECN = 0x80;
/** The largest frame a GSO header may describe: a 64 KiB IP datagram in an Ethernet frame. */
export const NET_GSO_MAX_FRAME_BYTES = 14 + 65535;

export interface NetHeader {
  flags: number;
  gsoType: number;
  hdrLen: number;
  gsoSize: number;
  csumStart: number;
  csumOffset: number;
  numBuffers: number;
}

// Byte by byte rather than through a DataView: these run once per frame each way, and a
// DataView per call was a visible share of the VMM thread's time under load.
const le16 = (b: Uint8Array, at: number): number => b[at]! | (b[at + 1]! << 8);
function setLe16(b: Uint8Array, at: number, v: number): void {
  b[at] = v & 0xff;
  b[at + 1] = (v >>> 8) & 0xff;
}

export function readNetHeader(b: Uint8Array): NetHeader {
  if (b.length < NET_HDR_BYTES) throw new RangeError('virtio_net_hdr needs 12 bytes');
  return {
    flags: b[0]!,
    gsoType: b[1]!,
    hdrLen: le16(b, 2),
    gsoSize: le16(b, 4),
    csumStart: le16(b, 6),
    csumOffset: le16(b, 8),
    numBuffers: le16(b, 10),
  };
}

export function writeNetHeader(b: Uint8Array, h: Partial<NetHeader>): void {
  if (b.length < NET_HDR_BYTES) throw new RangeError('virtio_net_hdr needs 12 bytes');
  b[0] = h.flags ?? 0;
  b[1] = h.gsoType ?? NET_HDR_GSO_NONE;
  setLe16(b, 2, h.hdrLen ?? 0);
  setLe16(b, 4, h.gsoSize ?? 0);
  setLe16(b, 6, h.csumStart ?? 0);
  setLe16(b, 8, h.csumOffset ?? 0);
  setLe16(b, 10, h.numBuffers ?? 0);
}

/** RFC 1071 ones'-complement sum of `bytes` added to `initial` (not complemented). */
export function onesSum(bytes: Uint8Array, initial = 0): number {
  let sum = initial;
  const n = bytes.length;
  for (let i = 0; i + 1 < n; i += 2) sum += (bytes[i]! << 8) | bytes[i + 1]!;
  if (n & 1) sum += bytes[n - 1]! << 8;
  while (sum > 0xffff) sum = (sum & 0xffff) + (sum >>> 16);
  return sum;
}

/**
 * Where the TCP/UDP checksum of an Ethernet frame lives: the L4 header offset and the checksum
 * field's offset within it (TCP 16, UDP 6). undefined for anything else (or a truncated frame).
 */
export function locateL4Checksum(frame: Uint8Array): { start: number; offset: number } | undefined {
  if (frame.length < 14) return undefined;
  const etherType = (frame[12]! << 8) | frame[13]!;
  let l4: number;
  let proto: number;
  if (etherType === 0x0800) {
    if (frame.length < 34) return undefined;
    l4 = 14 + (frame[14]! & 0x0f) * 4;
    proto = frame[23]!;
  } else if (etherType === 0x86dd) {
    if (frame.length < 54) return undefined;
    l4 = 54;
    proto = frame[20]!; // no extension headers
  } else return undefined;
  const offset = proto === 6 ? 16 : proto === 17 ? 6 : -1;
  if (offset < 0 || l4 + offset + 2 > frame.length) return undefined;
  return { start: l4, offset };
}
