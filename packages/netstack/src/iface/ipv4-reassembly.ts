// IP fragment reassembly: IPv4 (RFC 791 §3.2, RFC 815 hole tracking) and IPv6 (RFC 8200 §4.5),
// with the limits RFC 1122 §3.3.2 asks for: a timeout per datagram, a cap on datagrams in
// progress and on buffered bytes. Overlapping fragments drop the whole datagram (RFC 5722 for
// IPv6, applied to IPv4 as Linux does), which defeats overlap-rewrite attacks.

export const REASSEMBLY_TIMEOUT_NS = 30_000_000_000;
export const REASSEMBLY_MAX_DATAGRAMS = 64;
export const REASSEMBLY_MAX_BYTES = 4 * 1024 * 1024;

interface Pending {
  /** A value carried from the first fragment (IPv6: the upper-layer protocol). */
  meta: number | undefined;
  parts: Array<{ offset: number; data: Uint8Array }>;
  totalLength: number | undefined;
  bytes: number;
  expiresAtNs: number;
}

export interface FragmentKey {
  source: number;
  destination: number;
  protocol: number;
  identification: number;
}

export class Ipv4Reassembler {
  private readonly pending = new Map<string, Pending>();
  private bufferedBytes = 0;
  /** Datagrams abandoned (timeout, overlap, limits). */
  dropped = 0;

  /** Adds one IPv4 fragment; returns the reassembled payload when complete. */
  add(
    key: FragmentKey,
    offset: number,
    moreFragments: boolean,
    data: Uint8Array,
    nowNs: number,
  ): Uint8Array | undefined {
    const k = `${key.source}/${key.destination}/${key.protocol}/${key.identification}`;
    return this.addKeyed(k, offset, moreFragments, data, nowNs, undefined)?.data;
  }

  /**
   * Adds one fragment of the datagram named by `k`; `meta` is recorded from the fragment at
   * offset 0. Returns the payload and that value when the datagram is complete.
   */
  addKeyed(
    k: string,
    offset: number,
    moreFragments: boolean,
    data: Uint8Array,
    nowNs: number,
    meta: number | undefined,
  ): { data: Uint8Array; meta: number | undefined } | undefined {
    let p = this.pending.get(k);
    if (!p) {
      if (this.pending.size >= REASSEMBLY_MAX_DATAGRAMS) {
        this.dropped++;
        return undefined;
      }
      p = { meta: undefined, parts: [], totalLength: undefined, bytes: 0, expiresAtNs: nowNs + REASSEMBLY_TIMEOUT_NS };
      this.pending.set(k, p);
    }
    const end = offset + data.length;
    if (
      end > 65535 - 20 ||
      (moreFragments && data.length % 8 !== 0) ||
      this.bufferedBytes + data.length > REASSEMBLY_MAX_BYTES
    ) {
      this.abandon(k, p);
      return undefined;
    }
    if (!moreFragments) {
      if (p.totalLength !== undefined && p.totalLength !== end) {
        this.abandon(k, p);
        return undefined;
      }
      p.totalLength = end;
    }
    for (const q of p.parts) {
      const qEnd = q.offset + q.data.length;
      if (offset < qEnd && q.offset < end) {
        // An exact duplicate is harmless; any other overlap drops the datagram.
        if (q.offset === offset && q.data.length === data.length) return undefined;
        this.abandon(k, p);
        return undefined;
      }
    }
    if (p.totalLength !== undefined && end > p.totalLength) {
      this.abandon(k, p);
      return undefined;
    }
    if (offset === 0) p.meta = meta;
    p.parts.push({ offset, data: Uint8Array.from(data) });
    p.bytes += data.length;
    this.bufferedBytes += data.length;
    if (p.totalLength === undefined || p.bytes !== p.totalLength) return undefined;
    const out = new Uint8Array(p.totalLength);
    for (const q of p.parts) out.set(q.data, q.offset);
    this.bufferedBytes -= p.bytes;
    this.pending.delete(k);
    return { data: out, meta: p.meta };
  }

  private abandon(k: string, p: Pending): void {
    this.bufferedBytes -= p.bytes;
    this.pending.delete(k);
    this.dropped++;
  }

  expire(nowNs: number): void {
    for (const [k, p] of this.pending) if (nowNs >= p.expiresAtNs) this.abandon(k, p);
  }

  nextDeadlineNs(): number {
    let next = Infinity;
    for (const p of this.pending.values()) next = Math.min(next, p.expiresAtNs);
    return next;
  }

  get inProgress(): number {
    return this.pending.size;
  }
}
