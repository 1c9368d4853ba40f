// The sender's SACK scoreboard (RFC 6675 §3, §4): which octets above SND.UNA the peer has
// reported holding, and from it the IsLost() predicate, the pipe estimate and NextSeg().
// Blocks are disjoint, sorted and lie in (SND.UNA, SND.MAX].
import { Sequence } from './sequence.js';

export const DUP_THRESH = 3;
/** Bound on remembered blocks: a peer SACKing single bytes cannot make the scoreboard grow without limit. */
export const MAX_SACK_BLOCKS = 256;

export class SackScoreboard {
  /** Disjoint sorted [start, end) pairs. */
  blocks: Array<[number, number]> = [];

  clear(): void {
    this.blocks.length = 0;
  }

  get sackedBytes(): number {
    let n = 0;
    for (const [a, b] of this.blocks) n += Sequence.diff(b, a);
    return n;
  }

  /** Highest SACKed sequence (end of the last block), or `una` when none. */
  highest(una: number): number {
    return this.blocks.length ? this.blocks[this.blocks.length - 1]![1] : una;
  }

  /** Adds reported blocks, ignoring any outside (una, max]. Returns true if new octets were SACKed. */
  update(reported: Array<[number, number]>, una: number, max: number): boolean {
    const before = this.sackedBytes;
    for (const [reportedStart, b] of reported) {
      let a = reportedStart;
      if (!Sequence.lt(a, b)) continue;
      if (Sequence.gt(b, max) || Sequence.lt(a, una)) continue; // RFC 2018 §4: stale or bogus
      if (Sequence.le(b, una)) continue; // D-SACK or old
      a = Sequence.max(a, una);
      if (this.blocks.length >= MAX_SACK_BLOCKS) break;
      this.insert(a, b);
    }
    return this.sackedBytes > before;
  }

  private insert(a: number, b: number): void {
    const out: Array<[number, number]> = [];
    let placed = false;
    for (const blk of this.blocks) {
      if (Sequence.lt(blk[1], a)) out.push(blk);
      else if (Sequence.lt(b, blk[0])) {
        if (!placed) {
          out.push([a, b]);
          placed = true;
        }
        out.push(blk);
      } else {
        a = Sequence.min(a, blk[0]);
        b = Sequence.max(b, blk[1]);
      }
    }
    if (!placed) out.push([a, b]);
    this.blocks = out;
  }

  /** Drops everything at or below the cumulative ACK. */
  advance(una: number): void {
    while (this.blocks.length && Sequence.le(this.blocks[0]![1], una)) this.blocks.shift();
    if (this.blocks.length && Sequence.lt(this.blocks[0]![0], una)) this.blocks[0]![0] = una;
  }

  /**
   * The boundary below which unSACKed octets count as lost (RFC 6675 §4 IsLost: DupThresh
   * discontiguous SACKed blocks above, or more than (DupThresh-1)·SMSS SACKed octets above).
   * Returns `una` when nothing is lost.
   */
  lostBoundary(una: number, mss: number): number {
    let bytes = 0;
    for (let i = this.blocks.length - 1; i >= 0; i--) {
      const [a, b] = this.blocks[i]!;
      bytes += Sequence.diff(b, a);
      const count = this.blocks.length - i;
      if (count >= DUP_THRESH || bytes > (DUP_THRESH - 1) * mss) return a;
    }
    return una;
  }

  /** True if `seq` is inside a SACKed block. */
  isSacked(seq: number): boolean {
    for (const [a, b] of this.blocks) if (Sequence.inRange(seq, a, b)) return true;
    return false;
  }

  /**
   * RFC 6675 §4 SetPipe: octets in flight = unSACKed octets not deemed lost, plus octets
   * retransmitted (at or below HighRxt).
   */
  pipe(una: number, max: number, highRxt: number, mss: number): number {
    const lost = this.lostBoundary(una, mss);
    let pipe = 0;
    let cursor = una;
    const holes: Array<[number, number]> = [];
    for (const [a, b] of this.blocks) {
      if (Sequence.lt(cursor, a)) holes.push([cursor, a]);
      cursor = b;
    }
    if (Sequence.lt(cursor, max)) holes.push([cursor, max]);
    for (const [a, b] of holes) {
      const lostEnd = Sequence.min(b, Sequence.max(a, lost));
      pipe += Sequence.diff(b, lostEnd); // not lost: in flight
      const rxEnd = Sequence.min(b, Sequence.max(a, highRxt));
      pipe += Sequence.diff(rxEnd, a); // retransmitted octets
    }
    return pipe;
  }

  /**
   * RFC 6675 §4 NextSeg rules (1) and (3): the first unSACKed octet at or above `highRxt` and
   * below the highest SACKed octet — preferring one deemed lost. Returns [seq, maxLen] or undefined.
   */
  nextHole(una: number, highRxt: number, mss: number, lostOnly: boolean): [number, number] | undefined {
    const lost = this.lostBoundary(una, mss);
    let cursor = una;
    for (const [a, b] of this.blocks) {
      if (Sequence.lt(cursor, a)) {
        const start = Sequence.max(cursor, highRxt);
        const limit = lostOnly ? Sequence.min(a, lost) : a;
        if (Sequence.lt(start, limit)) return [start, Math.min(mss, Sequence.diff(limit, start))];
      }
      cursor = b;
    }
    return undefined;
  }
}
