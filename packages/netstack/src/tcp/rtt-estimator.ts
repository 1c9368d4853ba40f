// Retransmission timer computation, RFC 6298 §2–§5: SRTT/RTTVAR smoothing with alpha 1/8 and
// beta 1/4, RTO = SRTT + max(G, 4·RTTVAR), exponential backoff on expiry. The lower bound is a
// parameter: RFC 6298 §2.4 asks for 1 s, Linux (and this stack's default) uses 200 ms.

export interface RtoLimits {
  initialRtoNs: number;
  minRtoNs: number;
  maxRtoNs: number;
  clockGranularityNs: number;
}

export class RttEstimator {
  srttNs = 0;
  rttvarNs = 0;
  private hasSample = false;
  private baseRtoNs: number;
  private backoff = 0;

  constructor(private readonly limits: RtoLimits) {
    this.baseRtoNs = limits.initialRtoNs;
  }

  /** The current retransmission timeout, backoff included. */
  get rtoNs(): number {
    return Math.min(this.baseRtoNs * 2 ** this.backoff, this.limits.maxRtoNs);
  }

  get backoffCount(): number {
    return this.backoff;
  }

  /** RFC 6298 §2.2/§2.3: feed one RTT measurement; clears the backoff (§5.7 by implication of a fresh sample). */
  sample(rttNs: number): void {
    if (rttNs < 0) return;
    if (!this.hasSample) {
      this.srttNs = rttNs;
      this.rttvarNs = rttNs / 2;
      this.hasSample = true;
    } else {
      this.rttvarNs = 0.75 * this.rttvarNs + 0.25 * Math.abs(this.srttNs - rttNs);
      this.srttNs = 0.875 * this.srttNs + 0.125 * rttNs;
    }
    const rto = this.srttNs + Math.max(this.limits.clockGranularityNs, 4 * this.rttvarNs);
    this.baseRtoNs = Math.min(Math.max(rto, this.limits.minRtoNs), this.limits.maxRtoNs);
    this.backoff = 0;
  }

  /** RFC 6298 §5.5: double the timer after an expiry. */
  backOff(): void {
    if (this.baseRtoNs * 2 ** this.backoff < this.limits.maxRtoNs) this.backoff++;
  }

  resetBackoff(): void {
    this.backoff = 0;
  }
}
