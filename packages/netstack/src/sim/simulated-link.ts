// A simulated Ethernet link between two NetDevices for deterministic tests: every frame is
// delayed (fixed latency, jitter, serialization at a given bandwidth, a bounded queue) and may
// be lost, duplicated, reordered or corrupted, all drawn from a seeded PRNG. Deliveries are
// events on a core-sched TimerQueue, so the simulation jumps from event to event.
import type { NetDevice, NetOffloads } from '@osv-ts/kernel-api';
import { TimerQueue, type VirtualClock } from '@osv-ts/core-sched';
import type { SeededRandom } from './seeded-random.js';
import { segmentTcpFrame } from './tcp-segmenter.js';

export interface LinkImpairments {
  /** Probability each frame is lost. */
  loss: number;
  duplicate: number;
  /** Probability a frame is held back by `reorderDelayNs` (so later frames overtake it). */
  reorder: number;
  /** Probability one random bit of the frame is flipped. */
  corrupt: number;
  delayNs: number;
  jitterNs: number;
  reorderDelayNs: number;
  /** Serialization rate; 0 for unlimited. */
  bitsPerSecond: number;
  /** Frames allowed in flight per direction before drop-tail; 0 for unlimited. */
  queueFrames: number;
}

export const PERFECT_LINK: LinkImpairments = {
  loss: 0,
  duplicate: 0,
  reorder: 0,
  corrupt: 0,
  delayNs: 1_000_000,
  jitterNs: 0,
  reorderDelayNs: 0,
  bitsPerSecond: 0,
  queueFrames: 0,
};

export interface LinkCounters {
  sent: number;
  delivered: number;
  lost: number;
  duplicated: number;
  reordered: number;
  corrupted: number;
  queueDrops: number;
  /** TSO frames a port cut into segments. */
  segmentedFrames: number;
}

class SimulatedPort implements NetDevice {
  readonly offloads: NetOffloads;
  linkUp = true;
  receiver: ((frame: Uint8Array) => void) | undefined;
  busyUntilNs = 0;
  inFlight = 0;
  peer!: SimulatedPort;

  constructor(
    readonly name: string,
    readonly mac: Uint8Array,
    readonly mtu: number,
    private readonly link: SimulatedLink,
    tcpSegmentation: boolean,
  ) {
    this.offloads = { txChecksum: false, rxChecksumVerified: false, tcpSegmentation };
  }

  transmit(frame: Uint8Array, segmentSize?: number): boolean {
    if (segmentSize === undefined) this.link.carry(this, frame);
    else {
      // A TSO port cuts the segment before the wire, as a NIC does.
      this.link.counters.segmentedFrames++;
      for (const f of segmentTcpFrame(frame, segmentSize)) this.link.carry(this, f);
    }
    return true;
  }

  setReceiver(onFrame: (frame: Uint8Array) => void): void {
    this.receiver = onFrame;
  }
}

export class SimulatedLink {
  readonly a: NetDevice;
  readonly b: NetDevice;
  readonly events = new TimerQueue();
  readonly counters: LinkCounters = {
    sent: 0,
    delivered: 0,
    lost: 0,
    duplicated: 0,
    reordered: 0,
    corrupted: 0,
    queueDrops: 0,
    segmentedFrames: 0,
  };
  /** Observes every frame handed to the link (before impairments), e.g. for traces. */
  tap: ((from: NetDevice, frame: Uint8Array) => void) | undefined;

  constructor(
    private readonly clock: VirtualClock,
    private readonly rng: SeededRandom,
    public impairments: LinkImpairments = PERFECT_LINK,
    mtu = 1500,
    /** Both ports offer TCP segmentation (NetOffloads.tcpSegmentation) and cut TSO frames. */
    tcpSegmentation = false,
  ) {
    const pa = new SimulatedPort('sim0', Uint8Array.of(0x02, 0, 0, 0, 0, 0x0a), mtu, this, tcpSegmentation);
    const pb = new SimulatedPort('sim1', Uint8Array.of(0x02, 0, 0, 0, 0, 0x0b), mtu, this, tcpSegmentation);
    pa.peer = pb;
    pb.peer = pa;
    this.a = pa;
    this.b = pb;
  }

  /** Next delivery time, or undefined when nothing is in flight. */
  nextEventNs(): number | undefined {
    return this.events.nextDeadlineNs();
  }

  /** Delivers every frame due by the clock's current time. */
  deliverDue(): number {
    return this.events.expire(this.clock.monotonicNs());
  }

  carry(from: SimulatedPort, frame: Uint8Array): void {
    const imp = this.impairments;
    const rng = this.rng;
    const now = this.clock.monotonicNs();
    this.counters.sent++;
    this.tap?.(from, frame);
    if (imp.queueFrames > 0 && from.inFlight >= imp.queueFrames) {
      this.counters.queueDrops++;
      return;
    }
    // Serialization: frames leave one after another at the link rate.
    let departNs = now;
    if (imp.bitsPerSecond > 0) {
      departNs = Math.max(now, from.busyUntilNs) + Math.ceil(((frame.length + 24) * 8 * 1e9) / imp.bitsPerSecond);
      from.busyUntilNs = departNs;
    }
    if (rng.next() < imp.loss) {
      this.counters.lost++;
      return;
    }
    const copies = rng.next() < imp.duplicate ? 2 : 1;
    if (copies === 2) this.counters.duplicated++;
    for (let c = 0; c < copies; c++) {
      const f = Uint8Array.from(frame);
      if (rng.next() < imp.corrupt) {
        const bit = rng.below(f.length * 8);
        f[bit >>> 3]! ^= 1 << (bit & 7);
        this.counters.corrupted++;
      }
      let at = departNs + imp.delayNs + (imp.jitterNs > 0 ? rng.below(imp.jitterNs) : 0);
      if (rng.next() < imp.reorder) {
        at += imp.reorderDelayNs;
        this.counters.reordered++;
      }
      const to = from.peer;
      from.inFlight++;
      this.events.add(at, () => {
        from.inFlight--;
        this.counters.delivered++;
        to.receiver?.(f);
      });
    }
  }
}
