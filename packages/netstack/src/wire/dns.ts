// DNS messages (RFC 1035 §4): header, questions and resource records, with name compression
// (§4.1.4) followed safely: a pointer must point strictly backwards (so no loops), labels are at
// most 63 bytes and names at most 255. A/AAAA/CNAME rdata are decoded; others are kept raw.
import { fail, need, put32, u16, u32 } from './bounds.js';

export const DnsType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  OPT: 41,
  ANY: 255,
} as const;
export const DnsRcode = { NoError: 0, FormErr: 1, ServFail: 2, NXDomain: 3, NotImp: 4, Refused: 5 } as const;
export const DNS_HEADER_BYTES = 12;

export interface DnsQuestion {
  name: string;
  type: number;
  class: number;
}

export interface DnsRecord {
  name: string;
  type: number;
  class: number;
  ttl: number;
  data: Uint8Array;
  /** Decoded rdata: address text for A/AAAA, target name for CNAME/NS/PTR. */
  value?: string;
}

export interface DnsMessage {
  id: number;
  response: boolean;
  opcode: number;
  authoritative: boolean;
  truncated: boolean;
  recursionDesired: boolean;
  recursionAvailable: boolean;
  rcode: number;
  questions: DnsQuestion[];
  answers: DnsRecord[];
  authorities: DnsRecord[];
  additionals: DnsRecord[];
}

/** Reads a possibly compressed name at `offset`; returns the name and the offset after it. */
export function readName(b: Uint8Array, offset: number): [string, number] {
  const labels: string[] = [];
  let i = offset;
  let end = -1;
  let total = 0;
  for (;;) {
    need(b, i, 1, 'dns', 'label length');
    const len = b[i]!;
    if ((len & 0xc0) === 0xc0) {
      need(b, i, 2, 'dns', 'compression pointer');
      const target = ((len & 0x3f) << 8) | b[i + 1]!;
      if (target >= i) fail('dns', 'compression pointer', i, `points forward to ${target}`);
      if (end < 0) end = i + 2;
      i = target;
      continue;
    }
    if ((len & 0xc0) !== 0) fail('dns', 'label type', i, `reserved label type 0x${(len & 0xc0).toString(16)}`);
    if (len === 0) {
      if (end < 0) end = i + 1;
      break;
    }
    need(b, i + 1, len, 'dns', 'label');
    total += len + 1;
    if (total > 255) fail('dns', 'name', offset, 'longer than 255 bytes');
    let label = '';
    for (let k = 0; k < len; k++) label += String.fromCharCode(b[i + 1 + k]!);
    labels.push(label);
    i += 1 + len;
  }
  return [labels.join('.'), end];
}

function readRecord(b: Uint8Array, offset: number): [DnsRecord, number] {
  const [name, o] = readName(b, offset);
  need(b, o, 10, 'dns', 'record header');
  const type = u16(b, o);
  const rdLength = u16(b, o + 8);
  need(b, o + 10, rdLength, 'dns', 'rdata');
  const data = b.slice(o + 10, o + 10 + rdLength);
  const rec: DnsRecord = { name, type, class: u16(b, o + 2), ttl: u32(b, o + 4), data };
  if (type === DnsType.A) {
    if (rdLength !== 4) fail('dns', 'A rdata', o + 8, `length ${rdLength}`);
    rec.value = `${data[0]}.${data[1]}.${data[2]}.${data[3]}`;
  } else if (type === DnsType.AAAA) {
    if (rdLength !== 16) fail('dns', 'AAAA rdata', o + 8, `length ${rdLength}`);
    const w: string[] = [];
    for (let k = 0; k < 16; k += 2) w.push(((data[k]! << 8) | data[k + 1]!).toString(16));
    rec.value = w.join(':');
  } else if (type === DnsType.CNAME || type === DnsType.NS || type === DnsType.PTR) {
    const [target, after] = readName(b, o + 10);
    if (after > o + 10 + rdLength) fail('dns', 'name rdata', o + 10, 'runs past rdata');
    rec.value = target;
  }
  return [rec, o + 10 + rdLength];
}

export function parseDns(b: Uint8Array): DnsMessage {
  need(b, 0, DNS_HEADER_BYTES, 'dns', 'header');
  const flags = u16(b, 2);
  const counts = [u16(b, 4), u16(b, 6), u16(b, 8), u16(b, 10)];
  let o = DNS_HEADER_BYTES;
  const questions: DnsQuestion[] = [];
  for (let k = 0; k < counts[0]!; k++) {
    const [name, after] = readName(b, o);
    need(b, after, 4, 'dns', 'question');
    questions.push({ name, type: u16(b, after), class: u16(b, after + 2) });
    o = after + 4;
  }
  const sections: DnsRecord[][] = [[], [], []];
  for (let s = 0; s < 3; s++) {
    for (let k = 0; k < counts[s + 1]!; k++) {
      const [rec, after] = readRecord(b, o);
      sections[s]!.push(rec);
      o = after;
    }
  }
  return {
    id: u16(b, 0),
    response: (flags & 0x8000) !== 0,
    opcode: (flags >>> 11) & 0xf,
    authoritative: (flags & 0x0400) !== 0,
    truncated: (flags & 0x0200) !== 0,
    recursionDesired: (flags & 0x0100) !== 0,
    recursionAvailable: (flags & 0x0080) !== 0,
    rcode: flags & 0xf,
    questions,
    answers: sections[0]!,
    authorities: sections[1]!,
    additionals: sections[2]!,
  };
}

function writeName(out: number[], name: string): void {
  const trimmed = name.endsWith('.') ? name.slice(0, -1) : name;
  let total = 1;
  if (trimmed.length > 0) {
    for (const label of trimmed.split('.')) {
      if (label.length === 0 || label.length > 63) fail('dns', 'label', 0, `bad label in ${JSON.stringify(name)}`);
      total += label.length + 1;
      out.push(label.length);
      for (let k = 0; k < label.length; k++) {
        const c = label.charCodeAt(k);
        if (c > 0x7f) fail('dns', 'label', 0, 'non-ASCII name (IDNA encoding is the caller’s job)');
        out.push(c);
      }
    }
  }
  if (total > 255) fail('dns', 'name', 0, 'longer than 255 bytes');
  out.push(0);
}

/** Builds a message (no compression on output). */
export function emitDns(m: DnsMessage): Uint8Array {
  const out: number[] = [];
  const push16 = (v: number) => out.push((v >>> 8) & 0xff, v & 0xff);
  push16(m.id);
  push16(
    (m.response ? 0x8000 : 0) |
      ((m.opcode & 0xf) << 11) |
      (m.authoritative ? 0x0400 : 0) |
      (m.truncated ? 0x0200 : 0) |
      (m.recursionDesired ? 0x0100 : 0) |
      (m.recursionAvailable ? 0x0080 : 0) |
      (m.rcode & 0xf),
  );
  push16(m.questions.length);
  push16(m.answers.length);
  push16(m.authorities.length);
  push16(m.additionals.length);
  for (const q of m.questions) {
    writeName(out, q.name);
    push16(q.type);
    push16(q.class);
  }
  for (const r of [...m.answers, ...m.authorities, ...m.additionals]) {
    writeName(out, r.name);
    push16(r.type);
    push16(r.class);
    const ttl = new Uint8Array(4);
    put32(ttl, 0, r.ttl);
    out.push(...ttl);
    push16(r.data.length);
    out.push(...r.data);
  }
  const b = Uint8Array.from(out);
  return b;
}

export function dnsQuery(id: number, name: string, type: number): Uint8Array {
  return emitDns({
    id,
    response: false,
    opcode: 0,
    authoritative: false,
    truncated: false,
    recursionDesired: true,
    recursionAvailable: false,
    rcode: 0,
    questions: [{ name, type, class: 1 }],
    answers: [],
    authorities: [],
    additionals: [],
  });
}
