import { FormatError } from '@osv-ts/kernel-api';

// Captures frames in the classic libpcap file format (microsecond timestamps, LINKTYPE_ETHERNET),
// so a simulated run can be opened in Wireshark/tcpdump or dissected by scapy.

export class PcapWriter {
  private readonly chunks: Uint8Array[] = [];
  private size = 24;

  constructor(private readonly snapLength = 65535) {
    const h = new DataView(new ArrayBuffer(24));
    h.setUint32(0, 0xa1b2c3d4, true);
    h.setUint16(4, 2, true);
    h.setUint16(6, 4, true);
    h.setUint32(16, snapLength, true);
    h.setUint32(20, 1, true); // LINKTYPE_ETHERNET
    this.chunks.push(new Uint8Array(h.buffer));
  }

  add(frame: Uint8Array, timeNs: number): void {
    const n = Math.min(frame.length, this.snapLength);
    const rec = new Uint8Array(16 + n);
    const v = new DataView(rec.buffer);
    const us = Math.floor(timeNs / 1000);
    v.setUint32(0, Math.floor(us / 1e6), true);
    v.setUint32(4, us % 1e6, true);
    v.setUint32(8, n, true);
    v.setUint32(12, frame.length, true);
    rec.set(frame.subarray(0, n), 16);
    this.chunks.push(rec);
    this.size += rec.length;
  }

  get frames(): number {
    return this.chunks.length - 1;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.size);
    let o = 0;
    for (const c of this.chunks) {
      out.set(c, o);
      o += c.length;
    }
    return out;
  }
}

/** Reads a classic pcap file (either byte order, microsecond or nanosecond) into frames. */
export function readPcap(bytes: Uint8Array): Array<{ timeNs: number; frame: Uint8Array }> {
  if (bytes.length < 24) throw new FormatError('pcap', 'header', 0, 'truncated');
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const magic = v.getUint32(0, true);
  const little = magic === 0xa1b2c3d4 || magic === 0xa1b23c4d;
  const m = little ? magic : v.getUint32(0, false);
  const nano = m === 0xa1b23c4d;
  if (m !== 0xa1b2c3d4 && m !== 0xa1b23c4d) throw new FormatError('pcap', 'magic', 0, `0x${magic.toString(16)}`);
  const out: Array<{ timeNs: number; frame: Uint8Array }> = [];
  let o = 24;
  while (o + 16 <= bytes.length) {
    const sec = v.getUint32(o, little);
    const frac = v.getUint32(o + 4, little);
    const len = v.getUint32(o + 8, little);
    if (o + 16 + len > bytes.length) break;
    out.push({ timeNs: sec * 1e9 + frac * (nano ? 1 : 1000), frame: bytes.slice(o + 16, o + 16 + len) });
    o += 16 + len;
  }
  return out;
}
