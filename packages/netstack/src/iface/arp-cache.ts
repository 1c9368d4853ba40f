// The ARP cache (RFC 826, RFC 1122 §2.3.2): resolved entries age out, unresolved ones hold a
// short queue of frames, and requests for one address go out at most once per second
// (RFC 1122 §2.3.2.1 flood prevention), three times before the address is declared unreachable.
// An entry past its lifetime keeps being used while it is re-verified by unicast requests
// (RFC 1122 §2.3.2.1 "unicast poll", Linux's STALE → PROBE), so traffic does not stall.

export const ARP_REQUEST_INTERVAL_NS = 1_000_000_000;
export const ARP_MAX_REQUESTS = 3;
export const ARP_ENTRY_LIFETIME_NS = 60_000_000_000;
export const ARP_QUEUE_FRAMES = 16;
/** Bound on entries, so a flood of requests from forged senders cannot grow the cache. */
export const ARP_MAX_ENTRIES = 1024;

interface ArpEntry {
  mac: Uint8Array | undefined;
  /** Past its lifetime and being re-verified. */
  refreshing: boolean;
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
    if (nowNs >= e.expiresAtNs && !e.refreshing) {
      e.refreshing = true;
      e.requests = 0;
      e.nextRequestAtNs = nowNs;
    }
    return e.mac;
  }

  /** True when a stale entry in use should be re-verified by a request now (rate-limited). */
  takeRefreshRequest(ip: number, nowNs: number): boolean {
    const e = this.entries.get(ip);
    return e !== undefined && e.refreshing && this.takeRequestSlot(e, nowNs);
  }

  /** Learns or refreshes a mapping; returns frames that were waiting for it. */
  learn(ip: number, mac: Uint8Array, nowNs: number, create: boolean): Uint8Array[] {
    let e = this.entries.get(ip);
    if (!e) {
      if (!create) return [];
      e = { mac: undefined, refreshing: false, expiresAtNs: 0, requests: 0, nextRequestAtNs: 0, queue: [] };
      this.insert(ip, e);
    }
    e.mac = Uint8Array.from(mac);
    e.expiresAtNs = nowNs + ARP_ENTRY_LIFETIME_NS;
    e.requests = 0;
    e.refreshing = false;
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
      e = { mac: undefined, refreshing: false, expiresAtNs: Infinity, requests: 0, nextRequestAtNs: nowNs, queue: [] };
      this.insert(ip, e);
    }
    if (e.queue.length >= ARP_QUEUE_FRAMES) {
      e.queue.shift();
      this.dropped++;
    }
    e.queue.push(frame);
    return this.takeRequestSlot(e, nowNs);
  }

  private insert(ip: number, e: ArpEntry): void {
    if (this.entries.size >= ARP_MAX_ENTRIES) {
      // Evict the oldest entry (Map iteration is insertion order).
      const [oldest, old] = this.entries.entries().next().value as [number, ArpEntry];
      this.dropped += old.queue.length;
      this.entries.delete(oldest);
    }
    this.entries.set(ip, e);
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
      if (e.mac && !e.refreshing) {
        // Unused since it went stale for a whole lifetime: forget it.
        if (nowNs >= e.expiresAtNs + ARP_ENTRY_LIFETIME_NS) this.entries.delete(ip);
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

  /** The cached MAC regardless of age (for unicast re-verification). */
  peek(ip: number): Uint8Array | undefined {
    return this.entries.get(ip)?.mac;
  }

  nextDeadlineNs(): number {
    let next = Infinity;
    for (const e of this.entries.values())
      next = Math.min(next, e.mac && !e.refreshing ? e.expiresAtNs + ARP_ENTRY_LIFETIME_NS : e.nextRequestAtNs);
    return next;
  }

  get size(): number {
    return this.entries.size;
  }
}
