// IP addresses: an IPv4 address is 4 bytes, an IPv6 address 16, held in one immutable class so
// sockets, routes and caches treat both families alike. Text forms follow RFC 5952 (IPv6) and
// dotted quad (IPv4); IPv4-mapped IPv6 (RFC 4291 §2.5.5.2) is recognised.
import { FormatError } from '@osv-ts/kernel-api';

export type IpVersion = 4 | 6;

export class IpAddress {
  private text: string | undefined;

  private constructor(readonly bytes: Uint8Array) {}

  /** A map key unique per address (the text form, computed on first use). */
  get key(): string {
    return (this.text ??= this.bytes.length === 4 ? formatV4(this.bytes) : formatV6(this.bytes));
  }

  get version(): IpVersion {
    return this.bytes.length === 4 ? 4 : 6;
  }

  /** The IPv4 address as an unsigned 32-bit number (IPv4 only). */
  get v4(): number {
    const b = this.bytes;
    return ((b[0]! << 24) | (b[1]! << 16) | (b[2]! << 8) | b[3]!) >>> 0;
  }

  static fromBytes(bytes: Uint8Array): IpAddress {
    if (bytes.length !== 4 && bytes.length !== 16)
      throw new FormatError('ip-address', 'length', 0, `${bytes.length} bytes`);
    return new IpAddress(Uint8Array.from(bytes));
  }

  static v4(n: number): IpAddress {
    return new IpAddress(Uint8Array.of(n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255));
  }

  static parse(text: string): IpAddress {
    const v4 = parseV4(text);
    if (v4) return new IpAddress(v4);
    const v6 = parseV6(text);
    if (v6) return new IpAddress(v6);
    throw new FormatError('ip-address', 'text', 0, `not an IP address: ${JSON.stringify(text)}`);
  }

  static tryParse(text: string): IpAddress | undefined {
    try {
      return IpAddress.parse(text);
    } catch {
      return undefined;
    }
  }

  equals(other: IpAddress): boolean {
    const a = this.bytes;
    const b = other.bytes;
    if (a.length !== b.length) return false;
    for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
    return true;
  }

  isUnspecified(): boolean {
    return this.bytes.every((b) => b === 0);
  }

  isLoopback(): boolean {
    return this.version === 4 ? this.bytes[0] === 127 : this.key === '::1';
  }

  isMulticast(): boolean {
    return this.version === 4 ? (this.bytes[0]! & 0xf0) === 0xe0 : this.bytes[0] === 0xff;
  }

  isBroadcast(): boolean {
    return this.version === 4 && this.v4 === 0xffffffff;
  }

  /** ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). */
  isV4Mapped(): boolean {
    const b = this.bytes;
    if (b.length !== 16 || b[10] !== 0xff || b[11] !== 0xff) return false;
    for (let i = 0; i < 10; i++) if (b[i] !== 0) return false;
    return true;
  }

  /** The IPv4 address inside a v4-mapped IPv6 address. */
  toV4(): IpAddress {
    return new IpAddress(this.bytes.slice(12, 16));
  }

  /** This IPv4 address as ::ffff:a.b.c.d. */
  toV4Mapped(): IpAddress {
    const b = new Uint8Array(16);
    b[10] = 0xff;
    b[11] = 0xff;
    b.set(this.bytes, 12);
    return new IpAddress(b);
  }

  isLinkLocal(): boolean {
    return this.version === 6
      ? this.bytes[0] === 0xfe && (this.bytes[1]! & 0xc0) === 0x80
      : this.bytes[0] === 169 && this.bytes[1] === 254;
  }

  toString(): string {
    return this.key;
  }
}

export const IPV4_ANY = IpAddress.v4(0);
export const IPV4_BROADCAST = IpAddress.v4(0xffffffff);
export const IPV6_ANY = IpAddress.parse('::');

function parseV4(text: string): Uint8Array | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^\d{1,3}$/.test(p)) return undefined;
    const n = Number(p);
    if (n > 255) return undefined;
    out[i] = n;
  }
  return out;
}

function parseV6(text: string): Uint8Array | undefined {
  const pct = text.indexOf('%');
  if (pct >= 0) text = text.slice(0, pct);
  if (!/^[0-9a-fA-F:.]+$/.test(text)) return undefined;
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return undefined;
  const words: number[] = [];
  const parseGroups = (s: string): number[] | undefined => {
    if (s === '') return [];
    const out: number[] = [];
    const groups = s.split(':');
    for (let i = 0; i < groups.length; i++) {
      const g = groups[i]!;
      if (i === groups.length - 1 && g.includes('.')) {
        const v4 = parseV4(g);
        if (!v4) return undefined;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else {
        if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return undefined;
        out.push(parseInt(g, 16));
      }
    }
    return out;
  };
  if (dbl >= 0) {
    const head = parseGroups(text.slice(0, dbl));
    const tail = parseGroups(text.slice(dbl + 2));
    if (!head || !tail || head.length + tail.length > 7) return undefined;
    words.push(...head, ...new Array<number>(8 - head.length - tail.length).fill(0), ...tail);
  } else {
    const all = parseGroups(text);
    if (!all || all.length !== 8) return undefined;
    words.push(...all);
  }
  const out = new Uint8Array(16);
  words.forEach((w, i) => {
    out[2 * i] = w >>> 8;
    out[2 * i + 1] = w & 255;
  });
  return out;
}

function formatV4(b: Uint8Array): string {
  return `${b[0]}.${b[1]}.${b[2]}.${b[3]}`;
}

function formatV6(b: Uint8Array): string {
  const w: number[] = [];
  for (let i = 0; i < 8; i++) w.push((b[2 * i]! << 8) | b[2 * i + 1]!);
  // RFC 5952 §4.2.3: the longest run (first on ties) of two or more zero words becomes "::".
  let bestStart = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (w[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && w[j] === 0) j++;
    if (j - i > bestLen) {
      bestStart = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = (ws: number[]) => ws.map((x) => x.toString(16)).join(':');
  if (bestStart < 0) return hex(w);
  return `${hex(w.slice(0, bestStart))}::${hex(w.slice(bestStart + bestLen))}`;
}

/** Formats a 6-byte MAC address as aa:bb:cc:dd:ee:ff. */
export function formatMac(mac: Uint8Array): string {
  return Array.from(mac, (x) => x.toString(16).padStart(2, '0')).join(':');
}

/** True when the first `prefixLength` bits of a and b agree. */
export function prefixMatches(a: Uint8Array, b: Uint8Array, prefixLength: number): boolean {
  if (a.length !== b.length) return false;
  const full = prefixLength >>> 3;
  for (let i = 0; i < full; i++) if (a[i] !== b[i]) return false;
  const rest = prefixLength & 7;
  if (rest === 0) return true;
  const mask = (0xff << (8 - rest)) & 0xff;
  return (a[full]! & mask) === (b[full]! & mask);
}

/** Prefix length of a contiguous IPv4 netmask (255.255.255.0 → 24); throws on a non-contiguous mask. */
export function maskToPrefixLength(mask: IpAddress): number {
  const n = mask.v4;
  let len = 0;
  while (len < 32 && (n & (0x80000000 >>> len)) !== 0) len++;
  if (len < 32 && (n << len) >>> 0 !== 0)
    throw new FormatError('netmask', 'mask', 0, `non-contiguous netmask ${mask.toString()}`);
  return len;
}
