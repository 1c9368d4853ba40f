// TCP segments (RFC 9293 §3.1) and their options: MSS (RFC 9293 §3.7.1), window scale and
// timestamps (RFC 7323 §2, §3), SACK-permitted and SACK (RFC 2018 §2, §3). Unknown options are
// skipped by their length; a malformed option list is a FormatError.
import { fail, need, put16, put32, u16, u32 } from './bounds.js';
import { finishChecksum, foldSum, sumWords } from './checksum.js';

export const TCP_HEADER_BYTES = 20;

export const TcpFlags = {
  FIN: 0x01,
  SYN: 0x02,
  RST: 0x04,
  PSH: 0x08,
  ACK: 0x10,
  URG: 0x20,
  ECE: 0x40,
  CWR: 0x80,
} as const;

export const TcpOption = { End: 0, Nop: 1, Mss: 2, WindowScale: 3, SackPermitted: 4, Sack: 5, Timestamps: 8 } as const;

export interface TcpOptions {
  mss?: number;
  windowScale?: number;
  sackPermitted?: boolean;
  /** SACK blocks as [left, right) sequence pairs. */
  sack?: Array<[number, number]>;
  /** [TSval, TSecr]. */
  timestamps?: [number, number];
}

export interface TcpSegment {
  sourcePort: number;
  destinationPort: number;
  seq: number;
  ack: number;
  flags: number;
  window: number;
  urgent: number;
  options: TcpOptions;
  payload: Uint8Array;
}

/** Parses a segment; `pseudoSum` is the IP pseudo-header sum, undefined to skip checksum checks. */
export function parseTcp(b: Uint8Array, pseudoSum: number | undefined): TcpSegment {
  need(b, 0, TCP_HEADER_BYTES, 'tcp', 'header');
  const dataOffset = (b[12]! >>> 4) * 4;
  if (dataOffset < TCP_HEADER_BYTES) fail('tcp', 'data offset', 12, `${dataOffset} bytes is below 20`);
  need(b, 0, dataOffset, 'tcp', 'options');
  if (pseudoSum !== undefined && finishChecksum(sumWords(b, 0, b.length, pseudoSum)) !== 0)
    fail('tcp', 'checksum', 16, 'mismatch');
  return {
    sourcePort: u16(b, 0),
    destinationPort: u16(b, 2),
    seq: u32(b, 4),
    ack: u32(b, 8),
    flags: b[13]!,
    window: u16(b, 14),
    urgent: u16(b, 18),
    options: dataOffset > TCP_HEADER_BYTES ? parseTcpOptions(b, TCP_HEADER_BYTES, dataOffset) : {},
    payload: b.subarray(dataOffset),
  };
}

function parseTcpOptions(b: Uint8Array, start: number, end: number): TcpOptions {
  const o: TcpOptions = {};
  let i = start;
  while (i < end) {
    const kind = b[i]!;
    if (kind === TcpOption.End) break;
    if (kind === TcpOption.Nop) {
      i++;
      continue;
    }
    if (i + 1 >= end) fail('tcp', 'option length', i + 1, `option ${kind} truncated`);
    const len = b[i + 1]!;
    if (len < 2 || i + len > end) fail('tcp', 'option length', i + 1, `option ${kind} length ${len}`);
    const expect = (n: number) => {
      if (len !== n) fail('tcp', 'option length', i + 1, `option ${kind} must be ${n} bytes, is ${len}`);
    };
    switch (kind) {
      case TcpOption.Mss:
        expect(4);
        o.mss = u16(b, i + 2);
        break;
      case TcpOption.WindowScale:
        expect(3);
        // RFC 7323 §2.3: a shift above 14 is treated as 14.
        o.windowScale = Math.min(b[i + 2]!, 14);
        break;
      case TcpOption.SackPermitted:
        expect(2);
        o.sackPermitted = true;
        break;
      case TcpOption.Sack: {
        if ((len - 2) % 8 !== 0 || len < 10) fail('tcp', 'option length', i + 1, `SACK length ${len}`);
        const blocks: Array<[number, number]> = [];
        for (let j = i + 2; j < i + len; j += 8) blocks.push([u32(b, j), u32(b, j + 4)]);
        o.sack = blocks;
        break;
      }
      case TcpOption.Timestamps:
        expect(10);
        o.timestamps = [u32(b, i + 2), u32(b, i + 6)];
        break;
      default:
        break;
    }
    i += len;
  }
  return o;
}

/** Bytes the options take on the wire, padded to a multiple of 4. */
export function tcpOptionsLength(o: TcpOptions): number {
  let n = 0;
  if (o.mss !== undefined) n += 4;
  if (o.windowScale !== undefined) n += 4; // NOP + 3
  if (o.sackPermitted) n += 4; // NOP NOP + 2 (or folded with timestamps below)
  if (o.timestamps) n += 12; // NOP NOP + 10
  if (o.sack && o.sack.length > 0) n += 4 + 8 * o.sack.length; // NOP NOP + 2 + 8n
  return n;
}

function emitTcpOptions(out: Uint8Array, o0: number, o: TcpOptions): number {
  let i = o0;
  if (o.mss !== undefined) {
    out[i] = TcpOption.Mss;
    out[i + 1] = 4;
    put16(out, i + 2, o.mss);
    i += 4;
  }
  if (o.windowScale !== undefined) {
    out[i] = TcpOption.Nop;
    out[i + 1] = TcpOption.WindowScale;
    out[i + 2] = 3;
    out[i + 3] = o.windowScale;
    i += 4;
  }
  if (o.sackPermitted) {
    out[i] = TcpOption.Nop;
    out[i + 1] = TcpOption.Nop;
    out[i + 2] = TcpOption.SackPermitted;
    out[i + 3] = 2;
    i += 4;
  }
  if (o.timestamps) {
    out[i] = TcpOption.Nop;
    out[i + 1] = TcpOption.Nop;
    out[i + 2] = TcpOption.Timestamps;
    out[i + 3] = 10;
    put32(out, i + 4, o.timestamps[0]);
    put32(out, i + 8, o.timestamps[1]);
    i += 12;
  }
  if (o.sack && o.sack.length > 0) {
    out[i] = TcpOption.Nop;
    out[i + 1] = TcpOption.Nop;
    out[i + 2] = TcpOption.Sack;
    out[i + 3] = 2 + 8 * o.sack.length;
    i += 4;
    for (const [l, r] of o.sack) {
      put32(out, i, l);
      put32(out, i + 4, r);
      i += 8;
    }
  }
  return i - o0;
}

/**
 * Writes header, options and payload at `offset` and fills in the checksum; `pseudoSum` must
 * cover the whole segment length. Returns the segment length. With at most 40 option bytes
 * (RFC 9293 §3.1), callers limit SACK blocks to what fits. A `partial` checksum is only the
 * folded pseudo-header sum, for a device that completes it (Linux's CHECKSUM_PARTIAL; virtio
 * 1.2 §5.1.6.2 NEEDS_CSUM), as TCP segmentation offload requires.
 */
export function emitTcp(out: Uint8Array, offset: number, s: TcpSegment, pseudoSum: number, partial = false): number {
  const optLen = tcpOptionsLength(s.options);
  if (optLen > 40) fail('tcp', 'options', offset + 20, `${optLen} option bytes exceed 40`);
  const hdr = TCP_HEADER_BYTES + optLen;
  const total = hdr + s.payload.length;
  need(out, offset, total, 'tcp', 'output');
  const o = offset;
  put16(out, o, s.sourcePort);
  put16(out, o + 2, s.destinationPort);
  put32(out, o + 4, s.seq);
  put32(out, o + 8, s.ack);
  out[o + 12] = (hdr / 4) << 4;
  out[o + 13] = s.flags;
  put16(out, o + 14, s.window);
  put16(out, o + 16, 0);
  put16(out, o + 18, s.urgent);
  emitTcpOptions(out, o + 20, s.options);
  out.set(s.payload, o + hdr);
  put16(out, o + 16, partial ? foldSum(pseudoSum) : finishChecksum(sumWords(out, o, total, pseudoSum)));
  return total;
}
