// Congestion window growth: RFC 5681 slow start and congestion avoidance (with byte counting,
// RFC 3465 L = 1 SMSS) as NewReno uses it, and CUBIC (RFC 9438 §4) as an option. Loss recovery
// itself (fast retransmit, NewReno partial ACKs, SACK recovery) lives in the connection; this
// module only answers "how big is cwnd now" and "what is ssthresh after a loss".

export type CongestionAlgorithm = 'newreno' | 'cubic';

export interface CongestionControl {
  cwnd: number;
  ssthresh: number;
  /** New data acknowledged outside recovery. */
  onAck(ackedBytes: number, nowNs: number, srttNs: number): void;
  /** A loss detected by duplicate ACKs/SACK: sets ssthresh (and the new cwnd base). */
  onLoss(flightBytes: number, nowNs: number): void;
  /** RFC 5681 §3.1 eq. 4 and the loss window after a retransmission timeout. */
  onTimeout(flightBytes: number, nowNs: number): void;
}

/** RFC 5681 §3.1 initial window (RFC 3390 bound): min(4·SMSS, max(2·SMSS, 4380)). */
export function initialWindow(mss: number): number {
  return Math.min(4 * mss, Math.max(2 * mss, 4380));
}

export class NewRenoWindow implements CongestionControl {
  cwnd: number;
  ssthresh = 0x7fffffff;
  private bytesAcked = 0;

  constructor(private readonly mss: number) {
    this.cwnd = initialWindow(mss);
  }

  onAck(acked: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(acked, this.mss);
    } else {
      // RFC 5681 §3.1: about one SMSS per RTT, counted in bytes (RFC 3465 §2.1).
      this.bytesAcked += acked;
      if (this.bytesAcked >= this.cwnd) {
        this.bytesAcked -= this.cwnd;
        this.cwnd += this.mss;
      }
    }
  }

  onLoss(flight: number): void {
    // RFC 5681 §3.1 eq. 4.
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.ssthresh;
    this.bytesAcked = 0;
  }

  onTimeout(flight: number): void {
    this.ssthresh = Math.max(Math.floor(flight / 2), 2 * this.mss);
    this.cwnd = this.mss;
    this.bytesAcked = 0;
  }
}

/** CUBIC, RFC 9438: C = 0.4, beta = 0.7, with the Reno-friendly estimate of §4.3. */
export class CubicWindow implements CongestionControl {
  cwnd: number;
  ssthresh = 0x7fffffff;
  private wMaxSegs = 0;
  private kS = 0;
  private epochStartNs = -1;
  private wEstSegs = 0;
  private static readonly C = 0.4;
  private static readonly BETA = 0.7;

  constructor(private readonly mss: number) {
    this.cwnd = initialWindow(mss);
  }

  onAck(acked: number, nowNs: number, srttNs: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd += Math.min(acked, this.mss);
      return;
    }
    const segs = this.cwnd / this.mss;
    if (this.epochStartNs < 0) {
      this.epochStartNs = nowNs;
      if (segs < this.wMaxSegs) {
        this.kS = Math.cbrt((this.wMaxSegs - segs) / CubicWindow.C); // RFC 9438 eq. 2
      } else {
        this.kS = 0;
        this.wMaxSegs = segs;
      }
      this.wEstSegs = segs;
    }
    const t = (nowNs - this.epochStartNs + srttNs) / 1e9;
    const target = CubicWindow.C * (t - this.kS) ** 3 + this.wMaxSegs; // eq. 1
    // eq. 4: Reno-friendly region, alpha = 3(1-beta)/(1+beta).
    const alpha = (3 * (1 - CubicWindow.BETA)) / (1 + CubicWindow.BETA);
    this.wEstSegs += (alpha * acked) / this.mss / segs;
    let next: number;
    if (target < this.wEstSegs) next = this.wEstSegs;
    else {
      const capped = Math.min(target, 1.5 * segs); // §4.4: target in [cwnd, 1.5·cwnd]
      next = segs + (capped - segs) * (acked / this.mss / segs);
    }
    this.cwnd = Math.max(this.cwnd, Math.round(next * this.mss));
  }

  onLoss(flight: number): void {
    const segs = this.cwnd / this.mss;
    // §4.7 fast convergence.
    this.wMaxSegs = segs < this.wMaxSegs ? (segs * (1 + CubicWindow.BETA)) / 2 : segs;
    this.ssthresh = Math.max(Math.floor(Math.min(this.cwnd, flight) * CubicWindow.BETA), 2 * this.mss);
    this.cwnd = this.ssthresh;
    this.epochStartNs = -1;
  }

  onTimeout(flight: number): void {
    this.onLoss(flight);
    this.cwnd = this.mss;
  }
}
