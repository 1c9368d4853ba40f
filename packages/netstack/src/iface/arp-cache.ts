// The ARP cache (RFC 826, RFC 1122 §2.3.2): resolved entries age out, unresolved ones hold a
// short queue of frames, and requests for one address go out at most once per second
// (RFC 1122 §2.3.2.1 flood prevention), three times before the address is declared unreachable.

export const ARP_REQUEST_INTERVAL_NS = 1_000_000_000;
export const ARP_MAX_REQUESTS = 3;
export const ARP_ENTRY_LIFETIME_NS = 60_000_000_000;
export const ARP_QUEUE_FRAMES = 16;

interface ArpEntry {
  mac: Uint8Array | undefined;
  expiresAtNs: number;
  requests: number;
  nextRequestAtNs: number;
  queue: Uint8Array[];
}

export class ArpCache {
  private readonly entries = new Map<number, ArpEntry>();
  /** Frames dropped because resolution failed or the queue was full. */
  dropped = 0;

  lookup(ip: number, nowNs: number): Uint8Array | undefined {
    const e = this.entries.get(ip);
    if (!e || !e.mac) return undefined;
    if (nowNs >= e.expiresAtNs) {
      this.entries.delete(ip);
      return undefined;
    }
    return e.mac;
  }

  /** Learns or refreshes a mapping; returns frames that were waiting for it. */
  learn(ip: number, mac: Uint8Array, nowNs: number, create: boolean): Uint8Array[] {
    let e = this.entries.get(ip);
    if (!e) {
      if (!create) return [];
      e = { mac: undefined, expiresAtNs: 0, requests: 0, nextRequestAtNs: 0, queue: [] };
      this.entries.set(ip, e);
    }
    e.mac = Uint8Array.from(mac);
    e.expiresAtNs = nowNs + ARP_ENTRY_LIFETIME_NS;
    e.requests = 0;
    const q = e.queue;
    e.queue = [];
    return q;
  }

  /**
   * Queues a frame for an unresolved address. Returns true if a request should be sent now
   * (rate limit permitting).
   */
  enqueue(ip: number, frame: Uint8Array, nowNs: number): boolean {
    let e = this.entries.get(ip);
    if (!e) {
      e = { mac: undefined, expiresAtNs: Infinity, requests: 0, nextRequestAtNs: nowNs, queue: [] };
      this.entries.set(ip, e);
    }
    if (e.queue.length >= ARP_QUEUE_FRAMES) {
      e.queue.shift();
      this.dropped++;
    }
    e.queue.push(frame);
    return this.takeRequestSlot(e, nowNs);
  }

  private takeRequestSlot(e: ArpEntry, nowNs: number): boolean {
    if (nowNs < e.nextRequestAtNs || e.requests >= ARP_MAX_REQUESTS) return false;
    e.requests++;
    e.nextRequestAtNs = nowNs + ARP_REQUEST_INTERVAL_NS;
    return true;
  }

  /**
   * Timer work: returns addresses to re-request now and drops entries that failed (their
   * queued frames are counted as dropped) or expired.
   */
  expire(nowNs: number): number[] {
    const again: number[] = [];
    for (const [ip, e] of this.entries) {
      if (e.mac) {
        if (nowNs >= e.expiresAtNs) this.entries.delete(ip);
        continue;
      }
      if (nowNs < e.nextRequestAtNs) continue;
      if (e.requests >= ARP_MAX_REQUESTS) {
        this.dropped += e.queue.length;
        this.entries.delete(ip);
      } else if (this.takeRequestSlot(e, nowNs)) again.push(ip);
    }
    return again;
  }

  nextDeadlineNs(): number {
    let next = Infinity;
    for (const e of this.entries.values()) next = Math.min(next, e.mac ? e.expiresAtNs : e.nextRequestAtNs);
    return next;
  }

  get size(): number {
    return this.entries.size;
  }
}
