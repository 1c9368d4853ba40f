// The IPv6 neighbour cache with Neighbour Unreachability Detection (RFC 4861 §7.3): entries
// move INCOMPLETE → REACHABLE → STALE → DELAY → PROBE and are dropped when probes go
// unanswered. Constants are RFC 4861 §10's defaults.

export type NudState = 'INCOMPLETE' | 'REACHABLE' | 'STALE' | 'DELAY' | 'PROBE';

export const MAX_MULTICAST_SOLICIT = 3;
export const MAX_UNICAST_SOLICIT = 3;
export const RETRANS_TIMER_NS = 1_000_000_000;
export const REACHABLE_TIME_NS = 30_000_000_000;
export const DELAY_FIRST_PROBE_TIME_NS = 5_000_000_000;
const QUEUE_FRAMES = 16;
/** Bound on entries, so solicitations from forged sources cannot grow the cache. */
export const NEIGHBOR_MAX_ENTRIES = 1024;

export interface NeighborEntry {
  state: NudState;
  mac: Uint8Array | undefined;
  isRouter: boolean;
  probes: number;
  timerAtNs: number;
  queue: Uint8Array[];
}

/** What expire() asks the interface to do. */
export interface NeighborAction {
  address: string;
  /** Send a solicitation: multicast (to the solicited-node group) or unicast to the cached MAC. */
  solicit: 'multicast' | 'unicast';
}

export class NeighborCache {
  readonly entries = new Map<string, NeighborEntry>();
  dropped = 0;
  /** Set when a send moved an entry's timer (STALE → DELAY); the owner re-arms its timer and clears it. */
  deadlineChanged = false;

  state(address: string): NudState | undefined {
    return this.entries.get(address)?.state;
  }

  /**
   * Link-layer address to send to, or undefined when resolution is needed (the frame is
   * queued and `solicit` says whether a solicitation must go out now). RFC 4861 §7.3.3: sending
   * to a STALE entry moves it to DELAY.
   */
  resolve(address: string, frame: Uint8Array, nowNs: number): { mac?: Uint8Array; solicit: boolean } {
    const e = this.entries.get(address);
    if (e && e.mac && e.state !== 'INCOMPLETE') {
      if (e.state === 'STALE') {
        e.state = 'DELAY';
        e.timerAtNs = nowNs + DELAY_FIRST_PROBE_TIME_NS;
        this.deadlineChanged = true;
      }
      return { mac: e.mac, solicit: false };
    }
    if (e) {
      if (e.queue.length >= QUEUE_FRAMES) {
        e.queue.shift();
        this.dropped++;
      }
      e.queue.push(frame);
      return { solicit: false };
    }
    this.evictIfFull();
    this.entries.set(address, {
      state: 'INCOMPLETE',
      mac: undefined,
      isRouter: false,
      probes: 1,
      timerAtNs: nowNs + RETRANS_TIMER_NS,
      queue: [frame],
    });
    return { solicit: true };
  }

  /**
   * Applies a Neighbour Advertisement (RFC 4861 §7.2.5). Returns frames released by the
   * resolution.
   */
  advertisement(
    address: string,
    mac: Uint8Array | undefined,
    solicited: boolean,
    override: boolean,
    isRouter: boolean,
    nowNs: number,
  ): Uint8Array[] {
    const e = this.entries.get(address);
    if (!e) return [];
    if (e.state === 'INCOMPLETE') {
      if (!mac) return [];
      e.mac = Uint8Array.from(mac);
      e.isRouter = isRouter;
      this.enter(e, solicited ? 'REACHABLE' : 'STALE', nowNs);
      const q = e.queue;
      e.queue = [];
      return q;
    }
    const changed = mac !== undefined && e.mac !== undefined && !sameMac(mac, e.mac);
    if (!override && changed) {
      if (e.state === 'REACHABLE') this.enter(e, 'STALE', nowNs);
      return [];
    }
    if (mac && (override || !changed)) e.mac = Uint8Array.from(mac);
    if (solicited) this.enter(e, 'REACHABLE', nowNs);
    else if (changed) this.enter(e, 'STALE', nowNs);
    e.isRouter = isRouter;
    return [];
  }

  /** A Neighbour Solicitation, Router Advertisement or Redirect carrying a source link-layer address (§7.2.3). */
  learnFromSolicitation(address: string, mac: Uint8Array, nowNs: number): Uint8Array[] {
    const e = this.entries.get(address);
    if (!e) {
      this.evictIfFull();
      this.entries.set(address, {
        state: 'STALE',
        mac: Uint8Array.from(mac),
        isRouter: false,
        probes: 0,
        timerAtNs: Infinity,
        queue: [],
      });
      return [];
    }
    if (e.state === 'INCOMPLETE' || !e.mac || !sameMac(e.mac, mac)) {
      e.mac = Uint8Array.from(mac);
      this.enter(e, 'STALE', nowNs);
      const q = e.queue;
      e.queue = [];
      return q;
    }
    return [];
  }

  private evictIfFull(): void {
    if (this.entries.size < NEIGHBOR_MAX_ENTRIES) return;
    const [oldest, e] = this.entries.entries().next().value as [string, NeighborEntry];
    this.dropped += e.queue.length;
    this.entries.delete(oldest);
  }

  /** Upper-layer reachability confirmation (§7.3.1), e.g. TCP forward progress. */
  confirm(address: string, nowNs: number): void {
    const e = this.entries.get(address);
    if (e && e.mac) this.enter(e, 'REACHABLE', nowNs);
  }

  private enter(e: NeighborEntry, state: NudState, nowNs: number): void {
    e.state = state;
    e.probes = 0;
    e.timerAtNs = state === 'REACHABLE' ? nowNs + REACHABLE_TIME_NS : Infinity;
  }

  expire(nowNs: number): NeighborAction[] {
    const actions: NeighborAction[] = [];
    for (const [address, e] of this.entries) {
      if (nowNs < e.timerAtNs) continue;
      switch (e.state) {
        case 'INCOMPLETE':
          if (e.probes >= MAX_MULTICAST_SOLICIT) {
            this.dropped += e.queue.length;
            this.entries.delete(address);
          } else {
            e.probes++;
            e.timerAtNs = nowNs + RETRANS_TIMER_NS;
            actions.push({ address, solicit: 'multicast' });
          }
          break;
        case 'REACHABLE':
          this.enter(e, 'STALE', nowNs);
          break;
        case 'DELAY':
          e.state = 'PROBE';
          e.probes = 1;
          e.timerAtNs = nowNs + RETRANS_TIMER_NS;
          actions.push({ address, solicit: 'unicast' });
          break;
        case 'PROBE':
          if (e.probes >= MAX_UNICAST_SOLICIT) this.entries.delete(address);
          else {
            e.probes++;
            e.timerAtNs = nowNs + RETRANS_TIMER_NS;
            actions.push({ address, solicit: 'unicast' });
          }
          break;
        default:
          break;
      }
    }
    return actions;
  }

  nextDeadlineNs(): number {
    let next = Infinity;
    for (const e of this.entries.values()) next = Math.min(next, e.timerAtNs);
    return next;
  }
}

function sameMac(a: Uint8Array, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[i] !== b[i]) return false;
  return true;
}
