// ICMPv4 (RFC 792): echo, destination unreachable, time exceeded. Other types parse as raw.
import { fail, need, put16, u16 } from './bounds.js';
import { finishChecksum, sumWords } from './checksum.js';

export const Icmpv4Type = {
  EchoReply: 0,
  DestinationUnreachable: 3,
  EchoRequest: 8,
  TimeExceeded: 11,
  ParameterProblem: 12,
} as const;
export const Icmpv4Unreachable = { Net: 0, Host: 1, Protocol: 2, Port: 3, FragmentationNeeded: 4 } as const;

export interface Icmpv4Message {
  readonly type: number;
  readonly code: number;
  /** The 4 bytes after the checksum (identifier+sequence for echo, unused/MTU for errors). */
  readonly rest: number;
  readonly body: Uint8Array;
}

export function parseIcmpv4(b: Uint8Array, verifyChecksum = true): Icmpv4Message {
  need(b, 0, 8, 'icmpv4', 'header');
  if (verifyChecksum && finishChecksum(sumWords(b, 0, b.length)) !== 0) fail('icmpv4', 'checksum', 2, 'mismatch');
  return { type: b[0]!, code: b[1]!, rest: ((u16(b, 4) << 16) | u16(b, 6)) >>> 0, body: b.subarray(8) };
}

/** Builds a complete ICMPv4 message with checksum. */
export function emitIcmpv4(type: number, code: number, rest: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(8 + body.length);
  out[0] = type;
  out[1] = code;
  put16(out, 4, rest >>> 16);
  put16(out, 6, rest & 0xffff);
  out.set(body, 8);
  put16(out, 2, finishChecksum(sumWords(out, 0, out.length)));
  return out;
}
