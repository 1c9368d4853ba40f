// UDP datagrams (RFC 768). A zero checksum means "none" over IPv4 and is invalid over IPv6
// (RFC 8200 §8.1); a computed zero is sent as 0xffff.
import { fail, need, put16, u16 } from './bounds.js';
import { finishChecksum, sumWords } from './checksum.js';

export const UDP_HEADER_BYTES = 8;

export interface UdpDatagram {
  readonly sourcePort: number;
  readonly destinationPort: number;
  readonly payload: Uint8Array;
}

/** `pseudoSum` is the IP pseudo-header sum, or undefined to skip checksum verification. */
export function parseUdp(b: Uint8Array, pseudoSum: number | undefined, ipv6 = false): UdpDatagram {
  need(b, 0, UDP_HEADER_BYTES, 'udp', 'header');
  const length = u16(b, 4);
  if (length < UDP_HEADER_BYTES) fail('udp', 'length', 4, `${length} < 8`);
  if (length > b.length) fail('udp', 'length', 4, `${length} exceeds the ${b.length} bytes received`);
  const checksum = u16(b, 6);
  if (checksum === 0 && ipv6) fail('udp', 'checksum', 6, 'zero checksum over IPv6');
  if (pseudoSum !== undefined && checksum !== 0 && finishChecksum(sumWords(b, 0, length, pseudoSum)) !== 0) {
    fail('udp', 'checksum', 6, 'mismatch');
  }
  return { sourcePort: u16(b, 0), destinationPort: u16(b, 2), payload: b.subarray(UDP_HEADER_BYTES, length) };
}

/** Writes header + payload at `offset`; `pseudoSum` must cover length 8 + payload.length. */
export function emitUdp(
  out: Uint8Array,
  offset: number,
  sourcePort: number,
  destinationPort: number,
  payload: Uint8Array,
  pseudoSum: number,
): void {
  const length = UDP_HEADER_BYTES + payload.length;
  need(out, offset, length, 'udp', 'output');
  put16(out, offset, sourcePort);
  put16(out, offset + 2, destinationPort);
  put16(out, offset + 4, length);
  put16(out, offset + 6, 0);
  out.set(payload, offset + 8);
  const c = finishChecksum(sumWords(out, offset, length, pseudoSum));
  put16(out, offset + 6, c === 0 ? 0xffff : c);
}
