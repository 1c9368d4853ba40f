// What a device with TCP segmentation offload does to a TSO frame (Linux's tcp_gso_segment, as a
// TAP with IFF_VNET_HDR or a NIC's TSO engine does it): one large TCP segment in an Ethernet
// frame becomes segments of `segmentSize` payload bytes, each with the headers copied, the
// sequence number advanced, the IP length (and IPv4 identification) rewritten, FIN and PSH only
// on the last and CWR only on the first, and its TCP checksum completed from the partial one
// (the pseudo-header sum over the whole length) by correcting the length it covers. A partial
// sum that is wrong gives every segment a wrong checksum, which the receiver drops.
import { fail } from '../wire/bounds.js';
import { finishChecksum, foldSum, sumWords } from '../wire/checksum.js';

const ETHERNET_HEADER_BYTES = 14;
const FIN = 0x01;
const PSH = 0x08;
const CWR = 0x80;

/** Cuts a TSO frame (IPv4 or IPv6, no extension headers) into frames of one MSS each. */
export function segmentTcpFrame(frame: Uint8Array, segmentSize: number): Uint8Array[] {
  if (segmentSize <= 0) throw new RangeError('segment size must be positive');
  const etherType = (frame[12]! << 8) | frame[13]!;
  const v4 = etherType === 0x0800;
  if (!v4 && etherType !== 0x86dd) fail('tso', 'ethertype', 12, 'not IPv4 or IPv6');
  const ip = ETHERNET_HEADER_BYTES;
  const ipHeader = v4 ? (frame[ip]! & 0x0f) * 4 : 40;
  const protocol = v4 ? frame[ip + 9] : frame[ip + 6];
  const tcp = ip + ipHeader;
  if (protocol !== 6 || tcp + 20 > frame.length) fail('tso', 'protocol', ip, 'not a TCP segment');
  const tcpHeader = (frame[tcp + 12]! >>> 4) * 4;
  const headers = tcp + tcpHeader;
  if (tcpHeader < 20 || headers > frame.length) fail('tso', 'data offset', tcp + 12, 'beyond the frame');
  const payload = frame.length - headers;
  const partial = (frame[tcp + 16]! << 8) | frame[tcp + 17]!;
  // The partial sum covers the whole TCP length; each segment's covers its own (RFC 1624 §3:
  // subtract the old value by adding its complement).
  const wholeLength = frame.length - tcp;
  const flags = frame[tcp + 13]!;
  const seq = ((frame[tcp + 4]! << 24) | (frame[tcp + 5]! << 16) | (frame[tcp + 6]! << 8) | frame[tcp + 7]!) >>> 0;
  const id = v4 ? (frame[ip + 4]! << 8) | frame[ip + 5]! : 0;
  const out: Uint8Array[] = [];
  for (let at = 0, i = 0; at < payload || (at === 0 && payload === 0); at += segmentSize, i++) {
    const len = Math.min(segmentSize, payload - at);
    const last = at + len >= payload;
    const f = new Uint8Array(headers + len);
    f.set(frame.subarray(0, headers), 0);
    f.set(frame.subarray(headers + at, headers + at + len), headers);
    const s = (seq + at) >>> 0;
    f[tcp + 4] = s >>> 24;
    f[tcp + 5] = (s >>> 16) & 0xff;
    f[tcp + 6] = (s >>> 8) & 0xff;
    f[tcp + 7] = s & 0xff;
    f[tcp + 13] = flags & ~((last ? 0 : FIN | PSH) | (i === 0 ? 0 : CWR));
    if (v4) {
      const total = ipHeader + tcpHeader + len;
      f[ip + 2] = total >>> 8;
      f[ip + 3] = total & 0xff;
      const segId = (id + i) & 0xffff;
      f[ip + 4] = segId >>> 8;
      f[ip + 5] = segId & 0xff;
      f[ip + 10] = 0;
      f[ip + 11] = 0;
      const ipSum = finishChecksum(sumWords(f, ip, ipHeader));
      f[ip + 10] = ipSum >>> 8;
      f[ip + 11] = ipSum & 0xff;
    } else {
      const plen = tcpHeader + len;
      f[ip + 4] = plen >>> 8;
      f[ip + 5] = plen & 0xff;
    }
    const segLength = tcpHeader + len;
    const pseudo = foldSum(partial + (~wholeLength & 0xffff) + segLength);
    f[tcp + 16] = 0;
    f[tcp + 17] = 0;
    const sum = finishChecksum(sumWords(f, tcp, segLength, pseudo));
    f[tcp + 16] = sum >>> 8;
    f[tcp + 17] = sum & 0xff;
    out.push(f);
    if (last) break;
  }
  return out;
}
