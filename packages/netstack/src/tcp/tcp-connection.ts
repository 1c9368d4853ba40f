// One TCP connection: the RFC 9293 state machine (§3.3.2, event processing §3.10), driven by
// segments, user calls and one timer, each taking `now`. Implements RFC 6298 retransmission
// timing, RFC 5681 congestion control with RFC 6582 NewReno recovery, or RFC 6675 SACK-based
// recovery when the peer permits SACK (RFC 2018), RFC 7323 window scaling, timestamps and PAWS,
// RFC 5961 challenge ACKs, delayed ACKs, Nagle, sender/receiver SWS avoidance, zero-window
// probes (persist), keepalive and TIME-WAIT. Not implemented: urgent data (the URG pointer is
// ignored, RFC 6093 discourages its use), ECN, TCP Fast Open, MD5/AO signatures.
import { Errno, KernelError } from '@osv-ts/kernel-api';
import { Timer, type TimerQueue } from '@osv-ts/core-sched';
import type { IpAddress } from '../wire/ip-address.js';
import { TcpFlags, type TcpOptions, type TcpSegment } from '../wire/tcp-segment.js';
import { ByteQueue } from './byte-queue.js';
import { CubicWindow, NewRenoWindow, type CongestionControl } from './congestion.js';
import { RttEstimator } from './rtt-estimator.js';
import { SackScoreboard } from './sack-scoreboard.js';
import { Sequence } from './sequence.js';
import type { TcpConfig } from './tcp-config.js';

const { add, diff, lt, le, gt, ge, inRange } = Sequence;

export type TcpState =
  | 'CLOSED'
  | 'LISTEN'
  | 'SYN-SENT'
  | 'SYN-RECEIVED'
  | 'ESTABLISHED'
  | 'FIN-WAIT-1'
  | 'FIN-WAIT-2'
  | 'CLOSE-WAIT'
  | 'CLOSING'
  | 'LAST-ACK'
  | 'TIME-WAIT';

/** What a connection needs from the stack around it. */
export interface TcpHost {
  readonly timers: TimerQueue;
  /** Current time for timer callbacks (the stack sets it before expiring timers). */
  readonly nowNs: number;
  /** Sends one segment to the connection's peer (the host fills in ports' IP layer). */
  output(conn: TcpConnection, seg: TcpSegment): void;
  /** The connection reached CLOSED and can be forgotten. */
  released(conn: TcpConnection): void;
}

export interface TcpEndpoints {
  localAddress: IpAddress;
  localPort: number;
  remoteAddress: IpAddress;
  remotePort: number;
}

/** Counters a test or `netstat` can read. */
export interface TcpCounters {
  segmentsSent: number;
  segmentsReceived: number;
  retransmits: number;
  fastRetransmits: number;
  timeouts: number;
  challengeAcks: number;
  persistProbes: number;
  keepaliveProbes: number;
  /** Fast retransmits found spurious by the Eifel algorithm and undone. */
  spuriousRetransmits: number;
}

const TS_OPTION_BYTES = 12;
const NO_DEADLINE = Infinity;
const CHALLENGE_ACKS_PER_SECOND = 10;
const INVALID_ACK_INTERVAL_NS = 500_000_000;

export class TcpConnection {
  private stateValue: TcpState = 'CLOSED';
  /** Every state entered, in order (for tests and tracing). */
  readonly stateHistory: TcpState[] = ['CLOSED'];

  get state(): TcpState {
    return this.stateValue;
  }

  private set state(s: TcpState) {
    if (s !== this.stateValue) {
      this.stateValue = s;
      this.stateHistory.push(s);
    }
  }

  /** Pending socket error (SO_ERROR), 0 when none. */
  error = 0;
  /** Called whenever readiness may have changed. */
  onEvent: (() => void) | undefined;
  /** Called once when a passively opened connection reaches ESTABLISHED. */
  onEstablished: ((conn: TcpConnection) => void) | undefined;
  readonly counters: TcpCounters = {
    segmentsSent: 0,
    segmentsReceived: 0,
    retransmits: 0,
    fastRetransmits: 0,
    timeouts: 0,
    challengeAcks: 0,
    persistProbes: 0,
    keepaliveProbes: 0,
    spuriousRetransmits: 0,
  };

  // Send sequence space (RFC 9293 §3.3.1).
  iss = 0;
  sndUna = 0;
  sndNxt = 0;
  /** Highest sequence number sent so far (SND.NXT can be rewound by a timeout). */
  sndMax = 0;
  sndWnd = 0;
  private sndWl1 = 0;
  private sndWl2 = 0;
  private maxSndWnd = 0;
  private sndWscale = 0;
  /** SND.WND still holds the SYN's unscaled window. */
  private windowFromSyn = false;
  private readonly sndBuf = new ByteQueue();
  /** Sequence number of sndBuf's first byte. */
  private bufSeq = 0;
  private finQueued = false;
  private finSeq = 0;

  // Receive sequence space.
  irs = 0;
  rcvNxt = 0;
  /** Right edge of the window last advertised; never moves left (RFC 9293 §3.8.6.2.2). */
  private rcvAdvRight = 0;
  private rcvWscale = 0;
  private readonly rcvBuf = new ByteQueue();
  /** Out-of-order data: disjoint, sorted. */
  private ooo: Array<{ seq: number; data: Uint8Array }> = [];
  /** The out-of-order data as merged [start, end) ranges (for SACK blocks). */
  private oooRanges: Array<[number, number]> = [];
  private oooLastSeq = -1;
  private oooFinSeq: number | undefined;
  private finReceived = false;
  private lastAckSent = 0;

  // Negotiated options.
  /** Largest payload per segment (SMSS less option overhead). */
  mss = 536;
  private tsOk = false;
  private sackOk = false;
  private tsRecent = 0;
  private readonly tsOffset: number;
  private peerSyn: TcpOptions = {};

  // Timing and congestion control.
  private readonly rtt: RttEstimator;
  private cc: CongestionControl;
  private rttTiming = false;
  private rttSeq = 0;
  private rttStartNs = 0;
  private retransmitCount = 0;
  private dupAcks = 0;
  private inRecovery = false;
  private recoverSeq = 0;
  private highRxt = 0;
  private readonly scoreboard = new SackScoreboard();
  // Eifel detection (RFC 3522) and response (RFC 4015): undo a fast retransmit that
  // reordering, not loss, provoked.
  private undoPossible = false;
  private undoCwnd = 0;
  private undoSsthresh = 0;
  private retransmitTsval = 0;
  private undoPoint = 0;

  // Timers: absolute deadlines, folded into one core-sched Timer.
  private rtoAt = NO_DEADLINE;
  private delackAt = NO_DEADLINE;
  private persistAt = NO_DEADLINE;
  private keepaliveAt = NO_DEADLINE;
  private closeAt = NO_DEADLINE;
  private persistBackoff = 0;
  private probesUnanswered = 0;
  private lastRecvNs = 0;
  private pendingAcks = 0;
  private ackNow = false;
  private orphaned = false;
  private passive = false;
  private challengeWindowStartNs = -Infinity;
  private challengeCount = 0;
  private lastInvalidAckNs = -Infinity;
  private readonly timer: Timer;

  constructor(
    private readonly host: TcpHost,
    readonly config: TcpConfig,
    readonly endpoints: TcpEndpoints,
    iss: number,
    tsOffset: number,
  ) {
    this.iss = iss;
    this.tsOffset = tsOffset >>> 0;
    this.rtt = new RttEstimator({
      initialRtoNs: config.initialRtoNs,
      minRtoNs: config.minRtoNs,
      maxRtoNs: config.maxRtoNs,
      clockGranularityNs: 1_000_000,
    });
    this.cc = this.makeCc(536);
    this.timer = new Timer(NO_DEADLINE, () => this.onTimer());
    let ws = 0;
    while (ws < 14 && config.receiveBufferBytes >>> ws > 0xffff) ws++;
    this.rcvWscale = config.windowScaling ? ws : 0;
  }

  // ---- opening -------------------------------------------------------------------------

  /** Active open (RFC 9293 §3.10.1): send SYN, enter SYN-SENT. */
  connect(nowNs: number): void {
    this.sndUna = this.iss;
    this.sndNxt = this.sndMax = add(this.iss, 1);
    this.bufSeq = this.sndNxt;
    this.recoverSeq = this.iss;
    this.state = 'SYN-SENT';
    this.lastRecvNs = nowNs;
    this.sendSyn(nowNs, false);
    this.flush(nowNs);
  }

  /** Passive open: a listener received `syn`; answer SYN-ACK and enter SYN-RECEIVED. */
  acceptSyn(syn: TcpSegment, nowNs: number): void {
    this.passive = true;
    this.sndUna = this.iss;
    this.sndNxt = this.sndMax = add(this.iss, 1);
    this.bufSeq = this.sndNxt;
    this.recoverSeq = this.iss;
    this.lastRecvNs = nowNs;
    this.takeSyn(syn);
    this.state = 'SYN-RECEIVED';
    this.sendSyn(nowNs, true);
    this.flush(nowNs);
  }

  private makeCc(mss: number): CongestionControl {
    return this.config.congestion === 'cubic' ? new CubicWindow(mss) : new NewRenoWindow(mss);
  }

  /** Records the peer's SYN: IRS and option negotiation (RFC 9293 §3.7.1, RFC 7323 §1.3, RFC 2018 §2). */
  private takeSyn(syn: TcpSegment): void {
    this.irs = syn.seq;
    this.rcvNxt = add(syn.seq, 1);
    this.peerSyn = syn.options;
    const o = syn.options;
    if (this.config.windowScaling && o.windowScale !== undefined) this.sndWscale = o.windowScale;
    else this.sndWscale = this.rcvWscale = 0;
    this.sackOk = this.config.sack && o.sackPermitted === true;
    this.tsOk = this.config.timestamps && o.timestamps !== undefined;
    if (this.tsOk) this.tsRecent = o.timestamps![0];
    // RFC 9293 §3.7.1: 536 when the peer sends no MSS option (RFC 8200 implies 1220 for IPv6).
    const defaultMss = this.endpoints.remoteAddress.version === 6 ? 1220 : 536;
    const peerMss = o.mss !== undefined && o.mss > 0 ? o.mss : defaultMss;
    this.mss = Math.max(64, Math.min(peerMss, this.config.mss) - (this.tsOk ? TS_OPTION_BYTES : 0));
    this.cc = this.makeCc(this.mss);
    // The SYN's window is never scaled (RFC 7323 §2.2).
    this.sndWnd = syn.window;
    this.windowFromSyn = true;
    this.maxSndWnd = this.sndWnd;
    this.sndWl1 = syn.seq;
    this.sndWl2 = syn.ack;
    this.rcvAdvRight = add(this.rcvNxt, this.receiveSpace());
  }

  private sendSyn(nowNs: number, withAck: boolean): void {
    const o: TcpOptions = { mss: this.config.mss };
    const peer = withAck ? this.peerSyn : undefined;
    if (this.config.windowScaling && (!peer || peer.windowScale !== undefined)) o.windowScale = this.rcvWscale;
    if (this.config.sack && (!peer || peer.sackPermitted)) o.sackPermitted = true;
    if (this.config.timestamps && (!peer || peer.timestamps))
      o.timestamps = [this.tsNow(nowNs), withAck ? this.tsRecent : 0];
    if (!this.rttTiming && this.retransmitCount === 0) {
      this.rttTiming = true;
      this.rttSeq = this.iss;
      this.rttStartNs = nowNs;
    }
    this.emit({
      seq: this.iss,
      ack: withAck ? this.rcvNxt : 0,
      flags: TcpFlags.SYN | (withAck ? TcpFlags.ACK : 0),
      window: Math.min(this.receiveSpace(), 0xffff),
      options: o,
      payload: EMPTY,
    });
    if (this.rtoAt === NO_DEADLINE) this.rtoAt = nowNs + this.rtt.rtoNs;
  }

  // ---- user calls ----------------------------------------------------------------------

  /** Queues bytes for sending; returns how many were taken. Throws EAGAIN/EPIPE/ENOTCONN. */
  send(data: Uint8Array, nowNs: number): number {
    if (this.error) throw this.takeError();
    switch (this.state) {
      case 'ESTABLISHED':
      case 'CLOSE-WAIT':
        break;
      case 'SYN-SENT':
      case 'SYN-RECEIVED':
        throw new KernelError(Errno.EAGAIN, 'connection not yet established');
      case 'CLOSED':
      case 'LISTEN':
        throw new KernelError(Errno.ENOTCONN);
      default:
        throw new KernelError(Errno.EPIPE, 'send side shut down');
    }
    if (this.finQueued) throw new KernelError(Errno.EPIPE, 'send side shut down');
    const n = Math.min(data.length, this.config.sendBufferBytes - this.sndBuf.length);
    if (n <= 0) throw new KernelError(Errno.EAGAIN, 'send buffer full');
    this.sndBuf.push(data, 0, n);
    this.flush(nowNs);
    return n;
  }

  /** Reads received bytes into `out`; 0 means end of stream. Throws EAGAIN when nothing is there yet. */
  recv(out: Uint8Array, nowNs: number): number {
    if (this.rcvBuf.length > 0) {
      const n = this.rcvBuf.read(out);
      // Window update once the right edge can move by a useful amount (receiver SWS avoidance).
      const right = add(this.rcvNxt, this.receiveSpace());
      if (
        this.isSynchronized() &&
        diff(right, this.rcvAdvRight) >= Math.min(this.config.receiveBufferBytes / 2, 2 * this.mss)
      ) {
        this.ackNow = true;
      }
      this.flush(nowNs);
      return n;
    }
    if (this.finReceived) return 0;
    if (this.error) throw this.takeError();
    if (this.state === 'CLOSED') return 0;
    if (this.state === 'LISTEN') throw new KernelError(Errno.ENOTCONN);
    throw new KernelError(Errno.EAGAIN, 'no data');
  }

  /** Copies received bytes into `out` without consuming them (MSG_PEEK); -1 when none yet. */
  peek(out: Uint8Array): number {
    const n = Math.min(out.length, this.rcvBuf.length);
    if (n > 0) out.set(this.rcvBuf.view(0, n));
    return n > 0 ? n : this.finReceived || this.state === 'CLOSED' ? 0 : -1;
  }

  /** shutdown(SHUT_WR): queue a FIN after the data (RFC 9293 §3.10.4). */
  shutdownWrite(nowNs: number): void {
    switch (this.state) {
      case 'SYN-SENT':
        this.release();
        return;
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.state = 'FIN-WAIT-1';
        break;
      case 'CLOSE-WAIT':
        this.state = 'LAST-ACK';
        break;
      default:
        return;
    }
    this.finQueued = true;
    this.finSeq = add(this.bufSeq, this.sndBuf.length);
    this.flush(nowNs);
  }

  /** close(): like shutdown(SHUT_WR), but unread received data aborts with RST (RFC 9293 §3.10.4, RFC 2525 §2.17). */
  close(nowNs: number): void {
    this.orphaned = true;
    if (this.rcvBuf.length > 0 || (this.ooo.length > 0 && this.isSynchronized())) {
      this.abort(nowNs);
      return;
    }
    if (this.state === 'CLOSED') return;
    this.shutdownWrite(nowNs);
    if (this.state === 'FIN-WAIT-2') this.armFinWait2(nowNs);
  }

  /** ABORT (RFC 9293 §3.10.5): send RST if synchronized and forget the connection. */
  /** Leaves without a word: a TIME-WAIT pair a new SYN reopened (RFC 9293 §3.6.1, RFC 6191),
   *  whose RST would reach the peer's new connection, or a half-open child evicted from a full
   *  SYN queue, whose RST would go to a possibly forged address. */
  dropSilently(): void {
    if (this.state === 'TIME-WAIT' || this.state === 'SYN-RECEIVED') this.release();
  }

  abort(_nowNs: number): void {
    if (this.isSynchronized() || this.state === 'SYN-RECEIVED') {
      this.emit({
        seq: this.sndNxt,
        ack: this.rcvNxt,
        flags: TcpFlags.RST | TcpFlags.ACK,
        window: 0,
        options: {},
        payload: EMPTY,
      });
    }
    this.release();
  }

  // ---- readiness -----------------------------------------------------------------------

  get readable(): number {
    return this.rcvBuf.length;
  }

  get eof(): boolean {
    return this.finReceived;
  }

  get sendSpace(): number {
    return this.finQueued ? 0 : this.config.sendBufferBytes - this.sndBuf.length;
  }

  get unsentOrUnacked(): number {
    return this.sndBuf.length;
  }

  get established(): boolean {
    return this.state === 'ESTABLISHED' || this.state === 'CLOSE-WAIT';
  }

  isSynchronized(): boolean {
    return (
      this.state !== 'CLOSED' && this.state !== 'LISTEN' && this.state !== 'SYN-SENT' && this.state !== 'SYN-RECEIVED'
    );
  }

  get congestionWindow(): number {
    return this.cc.cwnd;
  }

  get smoothedRttNs(): number {
    return this.rtt.srttNs;
  }

  /**
   * Path MTU discovery (RFC 1191 §6.3, RFC 8201 §5.2): a smaller path shrinks SMSS (never grows
   * it) and the segments in flight, too big to pass, are sent again at the new size.
   */
  pathMtuChanged(maxSegmentBytes: number, nowNs: number): void {
    const mss = Math.max(64, maxSegmentBytes - (this.tsOk ? TS_OPTION_BYTES : 0));
    if (mss >= this.mss || !this.isSynchronized()) return;
    this.mss = mss;
    this.cc.cwnd = Math.max(this.cc.cwnd, 2 * mss);
    if (this.sndUna !== this.sndMax) {
      this.sndNxt = this.sndUna; // resend from SND.UNA at the new size; not a congestion signal
      this.scoreboard.clear();
      this.rttTiming = false;
    }
    this.flush(nowNs);
  }

  setNoDelay(on: boolean, nowNs: number): void {
    this.config.noDelay = on;
    if (on) this.flush(nowNs);
  }

  setKeepAlive(on: boolean, nowNs: number): void {
    this.config.keepAlive = on;
    this.keepaliveAt = NO_DEADLINE;
    this.flush(nowNs);
  }

  private takeError(): KernelError {
    const e = this.error;
    this.error = 0;
    return new KernelError(e);
  }

  // ---- segment arrival (RFC 9293 §3.10.7) ------------------------------------------------

  onSegment(seg: TcpSegment, nowNs: number): void {
    this.counters.segmentsReceived++;
    this.lastRecvNs = nowNs;
    this.probesUnanswered = 0;
    if (this.state === 'SYN-SENT') {
      this.onSegmentSynSent(seg, nowNs);
      this.flush(nowNs);
      return;
    }
    if (this.state === 'CLOSED' || this.state === 'LISTEN') return;
    const f = seg.flags;
    const ts = seg.options.timestamps;

    // A retransmitted SYN (or the peer's SYN-ACK in a simultaneous open) while in SYN-RECEIVED.
    if (this.state === 'SYN-RECEIVED' && f & TcpFlags.SYN && !(f & TcpFlags.RST) && seg.seq === this.irs) {
      if (f & TcpFlags.ACK && inRange(seg.ack, add(this.sndUna, 1), add(this.sndMax, 1))) {
        this.sndWnd = seg.window; // a SYN's window is not scaled
        this.windowFromSyn = true;
        this.establish(seg, nowNs);
        this.ackNow = true;
      } else {
        this.sendSyn(nowNs, true);
      }
      this.flush(nowNs);
      return;
    }

    // RFC 7323 §5.3 PAWS: an older timestamp marks an old duplicate.
    if (this.tsOk && ts && !(f & TcpFlags.RST) && lt(ts[0], this.tsRecent)) {
      this.ackNow = true;
      this.flush(nowNs);
      return;
    }

    // RFC 9293 §3.10.7.4 first check: sequence acceptability.
    const segLen = seg.payload.length + (f & TcpFlags.SYN ? 1 : 0) + (f & TcpFlags.FIN ? 1 : 0);
    const wnd = this.rcvWindow();
    let acceptable: boolean;
    if (segLen === 0)
      acceptable = wnd === 0 ? seg.seq === this.rcvNxt : inRange(seg.seq, this.rcvNxt, add(this.rcvNxt, wnd));
    else
      acceptable =
        wnd > 0 &&
        (inRange(seg.seq, this.rcvNxt, add(this.rcvNxt, wnd)) ||
          inRange(add(seg.seq, segLen - 1), this.rcvNxt, add(this.rcvNxt, wnd)));
    // With a zero window, ACKs and RSTs must still be processed (RFC 9293 §3.10.7.4).
    const ackOnly = !acceptable && wnd === 0 && seg.seq === this.rcvNxt;
    if (!acceptable && !ackOnly) {
      // RFC 9293 §3.10.7.4: answer with an ACK, but rate-limited (as Linux's
      // tcp_invalid_ratelimit) so two desynchronised ends cannot start an ACK war.
      if (!(f & TcpFlags.RST) && nowNs - this.lastInvalidAckNs >= INVALID_ACK_INTERVAL_NS) {
        this.lastInvalidAckNs = nowNs;
        this.ackNow = true;
      }
      if (this.state === 'TIME-WAIT' && f & TcpFlags.FIN) this.closeAt = nowNs + 2 * this.config.mslNs;
      this.flush(nowNs);
      return;
    }
    // RFC 7323 §4.3: remember the timestamp of a segment that covers Last.ACK.sent.
    if (this.tsOk && ts && le(seg.seq, this.lastAckSent)) this.tsRecent = ts[0];

    // Second check: RST, with RFC 5961 §3.2 exact-match rule.
    if (f & TcpFlags.RST) {
      if (seg.seq === this.rcvNxt) this.onReset();
      else this.challengeAck(nowNs);
      this.flush(nowNs);
      return;
    }
    // Fourth check: SYN in a synchronized state → challenge ACK (RFC 5961 §4.2).
    if (f & TcpFlags.SYN) {
      this.challengeAck(nowNs);
      this.flush(nowNs);
      return;
    }
    // Fifth check: ACK.
    if (!(f & TcpFlags.ACK)) return;
    if (this.state === 'SYN-RECEIVED') {
      if (inRange(seg.ack, add(this.sndUna, 1), add(this.sndMax, 1))) {
        this.sndWnd = seg.window * 2 ** this.sndWscale;
        this.windowFromSyn = false;
        this.establish(seg, nowNs);
      } else {
        this.emit({ seq: seg.ack, ack: 0, flags: TcpFlags.RST, window: 0, options: {}, payload: EMPTY });
        return;
      }
    }
    // RFC 5961 §5.2: ACK acceptability.
    if (gt(seg.ack, this.sndMax)) {
      this.ackNow = true;
      this.flush(nowNs);
      return;
    }
    if (lt(seg.ack, (this.sndUna - this.maxSndWnd) >>> 0)) {
      this.challengeAck(nowNs);
      this.flush(nowNs);
      return;
    }
    this.processAck(seg, nowNs);
    if ((this.state as TcpState) === 'CLOSED') return;

    // Seventh/eighth checks: segment text and FIN.
    if (!ackOnly && (seg.payload.length > 0 || f & TcpFlags.FIN)) {
      if (this.state === 'ESTABLISHED' || this.state === 'FIN-WAIT-1' || this.state === 'FIN-WAIT-2') {
        this.processData(seg, nowNs);
      } else if (this.state === 'TIME-WAIT' && f & TcpFlags.FIN) {
        // A retransmitted FIN: ACK it and restart the 2·MSL wait (RFC 9293 §3.10.7.4).
        this.ackNow = true;
        this.closeAt = nowNs + 2 * this.config.mslNs;
      }
    } else if (ackOnly && seg.payload.length > 0) {
      this.ackNow = true;
    }
    this.flush(nowNs);
  }

  /** RFC 9293 §3.10.7.3. */
  private onSegmentSynSent(seg: TcpSegment, nowNs: number): void {
    const f = seg.flags;
    if (f & TcpFlags.ACK && (le(seg.ack, this.iss) || gt(seg.ack, this.sndMax))) {
      if (!(f & TcpFlags.RST))
        this.emit({ seq: seg.ack, ack: 0, flags: TcpFlags.RST, window: 0, options: {}, payload: EMPTY });
      return;
    }
    if (f & TcpFlags.RST) {
      if (f & TcpFlags.ACK) {
        this.error = Errno.ECONNREFUSED;
        this.release();
      }
      return;
    }
    if (!(f & TcpFlags.SYN)) return;
    this.takeSyn(seg);
    if (f & TcpFlags.ACK) {
      this.establish(seg, nowNs);
      this.ackNow = true;
    } else {
      // Simultaneous open (RFC 9293 §3.5 figure 8).
      this.state = 'SYN-RECEIVED';
      this.rtoAt = NO_DEADLINE;
      this.sendSyn(nowNs, true);
    }
  }

  private establish(seg: TcpSegment, nowNs: number): void {
    if (gt(seg.ack, this.sndUna)) {
      if (this.rttTiming && this.retransmitCount === 0) this.rtt.sample(nowNs - this.rttStartNs);
      this.rttTiming = false;
      this.sndUna = seg.ack;
    }
    this.sndWl1 = seg.seq;
    this.sndWl2 = seg.ack;
    this.maxSndWnd = Math.max(this.maxSndWnd, this.sndWnd);
    this.retransmitCount = 0;
    this.rtoAt = NO_DEADLINE;
    this.state = 'ESTABLISHED';
    if (this.passive) this.onEstablished?.(this);
  }

  private processAck(seg: TcpSegment, nowNs: number): void {
    const ack = seg.ack;
    const f = seg.flags;
    // RFC 9293 §3.10.7.4: window update only from newer segments.
    const wnd = seg.window * 2 ** this.sndWscale;
    let windowChanged = false;
    if (lt(this.sndWl1, seg.seq) || (this.sndWl1 === seg.seq && le(this.sndWl2, ack))) {
      // The SYN's window was unscaled, so the first scaled one is no "change" (RFC 5681 §2 (d)).
      windowChanged = wnd !== this.sndWnd && !this.windowFromSyn;
      this.windowFromSyn = false;
      this.sndWnd = wnd;
      this.sndWl1 = seg.seq;
      this.sndWl2 = ack;
      if (wnd > this.maxSndWnd) this.maxSndWnd = wnd;
    }
    let newSack = false;
    if (this.sackOk && seg.options.sack) newSack = this.scoreboard.update(seg.options.sack, this.sndUna, this.sndMax);

    if (gt(ack, this.sndUna)) {
      const acked = diff(ack, this.sndUna);
      // RTT: RFC 7323 §4 (timestamps) or Karn's algorithm on one timed segment (RFC 6298 §3).
      const ts = seg.options.timestamps;
      if (this.tsOk && ts && ts[1] !== 0) {
        const rttMs = (this.tsNow(nowNs) - ts[1]) >>> 0;
        if (rttMs < 0x7fffffff) this.rtt.sample(rttMs * 1_000_000);
      } else if (this.rttTiming && gt(ack, this.rttSeq)) {
        this.rtt.sample(nowNs - this.rttStartNs);
      }
      if (this.rttTiming && gt(ack, this.rttSeq)) this.rttTiming = false;
      const dataAcked = Math.min(Math.max(diff(ack, this.bufSeq), 0), this.sndBuf.length);
      if (dataAcked > 0) {
        this.sndBuf.consume(dataAcked);
        this.bufSeq = add(this.bufSeq, dataAcked);
      }
      this.sndUna = ack;
      if (lt(this.sndNxt, ack)) this.sndNxt = ack;
      if (lt(this.highRxt, ack)) this.highRxt = ack;
      this.scoreboard.advance(ack);
      this.retransmitCount = 0;
      this.rtt.resetBackoff();
      this.persistBackoff = 0;
      if (this.inRecovery && this.undoPossible && gt(ack, this.undoPoint)) {
        this.undoPossible = false;
        // RFC 3522 §2: an ACK for the retransmitted segment echoing an older timestamp was
        // triggered by the original transmission: the retransmit was spurious.
        if (ts && ts[1] !== 0 && lt(ts[1], this.retransmitTsval)) {
          this.inRecovery = false;
          this.dupAcks = 0;
          this.recoverSeq = (this.sndUna - 1) >>> 0;
          this.cc.cwnd = Math.max(this.cc.cwnd, this.undoCwnd);
          this.cc.ssthresh = Math.max(this.cc.ssthresh, this.undoSsthresh);
          this.counters.spuriousRetransmits++;
        }
      }
      if (this.inRecovery) {
        if (ge(ack, this.recoverSeq)) {
          // Full acknowledgment: leave recovery (RFC 6582 §3.2 step 6, RFC 6675 §5).
          this.inRecovery = false;
          this.dupAcks = 0;
          const flight = diff(this.sndMax, this.sndUna);
          this.cc.cwnd = this.sackOk
            ? this.cc.ssthresh
            : Math.min(this.cc.ssthresh, Math.max(flight, this.mss) + this.mss);
        } else if (!this.sackOk) {
          // RFC 6582 §3.2 step 5: partial ACK: retransmit the next hole, deflate cwnd.
          this.retransmitAt(this.sndUna, nowNs);
          this.cc.cwnd = Math.max(this.cc.cwnd - acked + (acked >= this.mss ? this.mss : 0), this.mss);
          this.counters.fastRetransmits++;
        }
      } else {
        this.dupAcks = 0;
        this.cc.onAck(acked, nowNs, this.rtt.srttNs);
      }
      this.rtoAt = this.sndUna === this.sndMax ? NO_DEADLINE : nowNs + this.rtt.rtoNs;
    } else if (
      ack === this.sndUna &&
      seg.payload.length === 0 &&
      !(f & (TcpFlags.SYN | TcpFlags.FIN)) &&
      this.sndMax !== this.sndUna &&
      (this.sackOk ? newSack : !windowChanged)
    ) {
      // RFC 5681 §2 duplicate ACK; with SACK, RFC 6675 §2 counts ACKs bringing new SACK data.
      this.dupAcks++;
      if (!this.inRecovery) {
        const lostBySack = this.sackOk && lt(this.sndUna, this.scoreboard.lostBoundary(this.sndUna, this.mss));
        // RFC 6582 §3.2 step 2: only a loss after the previous recovery point starts recovery.
        if (
          (this.dupAcks >= this.dupThreshold() || lostBySack) &&
          (gt(this.sndUna, this.recoverSeq) || this.recoverSeq === this.iss)
        ) {
          this.enterRecovery(nowNs);
        }
      } else if (!this.sackOk) {
        this.cc.cwnd += this.mss; // RFC 6582 §3.2 step 4: inflate per further duplicate
      }
    }

    const finAcked = this.finQueued && gt(this.sndUna, this.finSeq);
    switch (this.state) {
      case 'FIN-WAIT-1':
        if (finAcked) {
          this.state = 'FIN-WAIT-2';
          if (this.orphaned) this.armFinWait2(nowNs);
        }
        break;
      case 'CLOSING':
        if (finAcked) this.enterTimeWait(nowNs);
        break;
      case 'LAST-ACK':
        if (finAcked) this.release();
        break;
      default:
        break;
    }
  }

  /**
   * The duplicate-ACK threshold: 3 (RFC 5681), lowered by RFC 5827 Early Retransmit to one less
   * than the segments outstanding when fewer than four are and no new data can be sent.
   */
  private dupThreshold(): number {
    const outstanding = Math.ceil(diff(this.sndMax, this.sndUna) / this.mss);
    const canSendNew =
      diff(add(this.bufSeq, this.sndBuf.length), this.sndNxt) > 0 && this.sndWnd > diff(this.sndNxt, this.sndUna);
    return outstanding < 4 && !canSendNew ? Math.max(1, outstanding - 1) : 3;
  }

  private enterRecovery(nowNs: number): void {
    if (this.tsOk) {
      this.undoPossible = true;
      this.undoCwnd = this.cc.cwnd;
      this.undoSsthresh = this.cc.ssthresh;
      this.retransmitTsval = this.tsNow(nowNs);
      this.undoPoint = this.sndUna;
    }
    const flight = this.sackOk
      ? this.scoreboard.pipe(this.sndUna, this.sndMax, this.sndUna, this.mss)
      : diff(this.sndMax, this.sndUna);
    this.inRecovery = true;
    this.recoverSeq = this.sndMax;
    this.cc.onLoss(Math.max(flight, diff(this.sndMax, this.sndUna) - this.scoreboard.sackedBytes), nowNs);
    this.highRxt = this.sndUna;
    this.rttTiming = false;
    this.counters.fastRetransmits++;
    if (this.sackOk) {
      // RFC 6675 §5 step 4.2: retransmit the first segment presumed lost, whatever the pipe.
      const hole = this.scoreboard.nextHole(this.sndUna, this.highRxt, this.mss, false) ?? [this.sndUna, this.mss];
      this.retransmitAt(hole[0], nowNs, hole[1]);
    } else {
      // RFC 6582 §3.2 step 3 (RFC 5681 §3.2 step 2–3): retransmit, cwnd = ssthresh + 3·SMSS.
      this.retransmitAt(this.sndUna, nowNs);
      this.cc.cwnd = this.cc.ssthresh + 3 * this.mss;
    }
  }

  private processData(seg: TcpSegment, nowNs: number): void {
    let seq = seg.seq;
    let data = seg.payload;
    let fin = (seg.flags & TcpFlags.FIN) !== 0;
    if (lt(seq, this.rcvNxt)) {
      const cut = diff(this.rcvNxt, seq);
      if (cut > data.length) fin = false; // the FIN too is old
      data = data.subarray(Math.min(cut, data.length));
      seq = this.rcvNxt;
    }
    const room = diff(this.rcvAdvRight, seq);
    if (data.length > room) {
      data = data.subarray(0, Math.max(room, 0));
      fin = false;
    }
    if (seq === this.rcvNxt) {
      const fillsHole = this.ooo.length > 0;
      if (data.length > 0) {
        this.rcvBuf.push(data);
        this.rcvNxt = add(this.rcvNxt, data.length);
      }
      if (fin) this.oooFinSeq = this.rcvNxt;
      this.drainOutOfOrder();
      if (this.oooFinSeq !== undefined && this.oooFinSeq === this.rcvNxt) this.takeFin(nowNs);
      if (fillsHole)
        this.ackNow = true; // RFC 5681 §4.2: ACK at once when a gap is filled
      else if (data.length > 0) {
        // RFC 9293 §3.8.6.3: ACK at least every second full-sized segment, or after the delay.
        this.pendingAcks++;
        if (this.pendingAcks >= 2) this.ackNow = true;
        else if (this.delackAt === NO_DEADLINE) this.delackAt = nowNs + this.config.delayedAckNs;
      }
    } else {
      if (data.length > 0) {
        this.insertOutOfOrder(seq, data);
        this.oooLastSeq = seq;
      }
      if (fin) this.oooFinSeq = add(seq, data.length);
      this.ackNow = true; // RFC 5681 §4.2: immediate duplicate ACK for out-of-order data
    }
  }

  private takeFin(nowNs: number): void {
    if (this.finReceived) return;
    this.finReceived = true;
    this.oooFinSeq = undefined;
    this.rcvNxt = add(this.rcvNxt, 1);
    this.ackNow = true;
    switch (this.state) {
      case 'SYN-RECEIVED':
      case 'ESTABLISHED':
        this.state = 'CLOSE-WAIT';
        break;
      case 'FIN-WAIT-1':
        // Simultaneous close (RFC 9293 §3.6 figure 13): our FIN is not yet acknowledged.
        if (this.finQueued && gt(this.sndUna, this.finSeq)) this.enterTimeWait(nowNs);
        else this.state = 'CLOSING';
        break;
      case 'FIN-WAIT-2':
        this.enterTimeWait(nowNs);
        break;
      default:
        break;
    }
  }

  /**
   * Stores out-of-order bytes as disjoint segments (only the parts not already held, so a
   * duplicate costs nothing and nothing is ever re-copied), and keeps the merged ranges that
   * SACK blocks are made from.
   */
  private insertOutOfOrder(seq: number, data: Uint8Array): void {
    const end = add(seq, data.length);
    const list = this.ooo;
    // First stored segment ending after `seq` (binary search: segments are sorted and disjoint).
    let lo = 0;
    let hi = list.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = list[mid]!;
      if (le(add(e.seq, e.data.length), seq)) lo = mid + 1;
      else hi = mid;
    }
    let cursor = seq;
    let i = lo;
    const pieces: Array<{ seq: number; data: Uint8Array }> = [];
    while (lt(cursor, end)) {
      const next = list[i];
      if (!next || ge(next.seq, end)) {
        pieces.push({ seq: cursor, data: data.slice(diff(cursor, seq)) });
        break;
      }
      if (lt(cursor, next.seq)) pieces.push({ seq: cursor, data: data.slice(diff(cursor, seq), diff(next.seq, seq)) });
      cursor = Sequence.max(cursor, add(next.seq, next.data.length));
      i++;
    }
    if (pieces.length === 0) return;
    // Pieces go in order at their positions between lo and i.
    let at = lo;
    for (const piece of pieces) {
      while (at < list.length && lt(list[at]!.seq, piece.seq)) at++;
      list.splice(at, 0, piece);
      at++;
    }
    this.addOooRange(seq, end);
  }

  private addOooRange(a: number, b: number): void {
    const out: Array<[number, number]> = [];
    let placed = false;
    for (const r of this.oooRanges) {
      if (lt(r[1], a)) out.push(r);
      else if (lt(b, r[0])) {
        if (!placed) {
          out.push([a, b]);
          placed = true;
        }
        out.push(r);
      } else {
        a = Sequence.min(a, r[0]);
        b = Sequence.max(b, r[1]);
      }
    }
    if (!placed) out.push([a, b]);
    this.oooRanges = out;
  }

  private drainOutOfOrder(): void {
    let taken = 0;
    const list = this.ooo;
    while (taken < list.length) {
      const e = list[taken]!;
      if (gt(e.seq, this.rcvNxt)) break;
      taken++;
      const skip = diff(this.rcvNxt, e.seq);
      if (skip < e.data.length) {
        this.rcvBuf.push(e.data, skip);
        this.rcvNxt = add(this.rcvNxt, e.data.length - skip);
      }
    }
    if (taken > 0) list.splice(0, taken);
    while (this.oooRanges.length > 0 && le(this.oooRanges[0]![1], this.rcvNxt)) this.oooRanges.shift();
    if (this.oooRanges.length > 0 && lt(this.oooRanges[0]![0], this.rcvNxt)) this.oooRanges[0]![0] = this.rcvNxt;
  }

  /** RFC 5961 §3.2/§4.2/§5.2 challenge ACK, rate-limited as §7 advises. */
  private challengeAck(nowNs: number): void {
    if (nowNs - this.challengeWindowStartNs >= 1e9) {
      this.challengeWindowStartNs = nowNs;
      this.challengeCount = 0;
    }
    if (this.challengeCount >= CHALLENGE_ACKS_PER_SECOND) return;
    this.challengeCount++;
    this.counters.challengeAcks++;
    this.ackNow = true;
  }

  private onReset(): void {
    switch (this.state) {
      case 'SYN-RECEIVED':
        this.error = this.passive ? 0 : Errno.ECONNREFUSED;
        break;
      case 'ESTABLISHED':
      case 'FIN-WAIT-1':
      case 'FIN-WAIT-2':
      case 'CLOSE-WAIT':
        this.error = Errno.ECONNRESET;
        break;
      default:
        break;
    }
    this.release();
  }

  // ---- output ----------------------------------------------------------------------------

  /** Sends whatever the windows allow, any owed ACK, and re-arms the timer. */
  private flush(nowNs: number): void {
    if (this.state !== 'CLOSED') {
      if (this.canSendData()) this.transmit(nowNs);
      if (this.ackNow && this.state !== 'SYN-SENT' && this.state !== 'SYN-RECEIVED') this.sendAck(nowNs);
      this.updatePersist(nowNs);
      this.updateKeepalive(nowNs);
    }
    this.rearm();
    this.onEvent?.();
  }

  private canSendData(): boolean {
    const s = this.state;
    return s === 'ESTABLISHED' || s === 'CLOSE-WAIT' || s === 'FIN-WAIT-1' || s === 'CLOSING' || s === 'LAST-ACK';
  }

  private transmit(nowNs: number): void {
    if (this.inRecovery && this.sackOk) {
      this.transmitSackRecovery(nowNs);
      return;
    }
    // RFC 3042 Limited Transmit: each of the first two duplicate ACKs lets one more new
    // segment out, so a small window still produces the three duplicates fast retransmit needs.
    const limited = this.inRecovery ? 0 : Math.min(this.dupAcks, 2) * this.mss;
    const limit = Math.min(this.sndWnd, this.cc.cwnd + limited);
    for (;;) {
      const dataEnd = add(this.bufSeq, this.sndBuf.length);
      const avail = diff(dataEnd, this.sndNxt);
      const inFlight = diff(this.sndNxt, this.sndUna);
      const usable = Math.min(limit, this.sndWnd) - inFlight;
      let len = Math.min(this.burstBytes(), Math.max(avail, 0), usable);
      const finPending = this.finQueued && le(this.sndNxt, this.finSeq);
      if (len <= 0) {
        if (finPending && avail <= 0) this.sendData(this.sndNxt, 0, nowNs, true);
        return;
      }
      if (len < this.mss) {
        // Sender SWS avoidance (RFC 9293 §3.8.6.2.1) and Nagle (§3.7.4).
        if (len < avail && len < this.maxSndWnd / 2) return;
        if (!this.config.noDelay && !this.finQueued && inFlight > 0) return;
      }
      len = Math.max(len, 0);
      const fin = finPending && add(this.sndNxt, len) === this.finSeq;
      this.sendData(this.sndNxt, len, nowNs, fin);
    }
  }

  /**
   * The most new data one segment carries: one MSS, or with TSO whole MSS-sized segments up to
   * config.segmentationBytes (less the largest header: 60 bytes), cut by the device.
   */
  private burstBytes(): number {
    const tso = this.config.segmentationBytes;
    if (tso <= 0) return this.mss;
    return Math.max(this.mss, Math.floor((tso - 60) / this.mss) * this.mss);
  }

  /** RFC 6675 §5 step (C): send while cwnd - pipe >= 1 SMSS, choosing segments by NextSeg(). */
  private transmitSackRecovery(nowNs: number): void {
    for (let guard = 0; guard < 1000; guard++) {
      const pipe = this.scoreboard.pipe(this.sndUna, this.sndMax, this.highRxt, this.mss);
      if (this.cc.cwnd - pipe < this.mss) return;
      let hole = this.scoreboard.nextHole(this.sndUna, this.highRxt, this.mss, true);
      if (hole) {
        this.retransmitAt(hole[0], nowNs, hole[1]);
        continue;
      }
      const dataEnd = add(this.bufSeq, this.sndBuf.length);
      const avail = diff(dataEnd, this.sndNxt);
      const usable = this.sndWnd - diff(this.sndNxt, this.sndUna);
      const len = Math.min(this.mss, avail, usable);
      if (len > 0) {
        const fin = this.finQueued && add(this.sndNxt, len) === this.finSeq;
        this.sendData(this.sndNxt, len, nowNs, fin);
        continue;
      }
      hole = this.scoreboard.nextHole(this.sndUna, this.highRxt, this.mss, false);
      if (hole) {
        this.retransmitAt(hole[0], nowNs, hole[1]);
        continue;
      }
      return;
    }
  }

  /** Retransmits up to one MSS starting at `seq` (which is below SND.MAX). */
  private retransmitAt(seq: number, nowNs: number, maxLen = this.mss): void {
    const dataEnd = add(this.bufSeq, this.sndBuf.length);
    const len = Math.max(0, Math.min(maxLen, this.mss, diff(dataEnd, seq), diff(this.sndMax, seq)));
    const fin = this.finQueued && add(seq, len) === this.finSeq && gt(this.sndMax, this.finSeq);
    if (len === 0 && !fin) return;
    this.counters.retransmits++;
    if (this.rttTiming && le(seq, this.rttSeq)) this.rttTiming = false; // Karn
    this.sendSegmentAt(seq, len, nowNs, fin);
    const end = add(seq, len + (fin ? 1 : 0));
    if (gt(end, this.highRxt)) this.highRxt = end;
  }

  private sendData(seq: number, len: number, nowNs: number, fin: boolean): void {
    const end = add(seq, len + (fin ? 1 : 0));
    if (lt(seq, this.sndMax)) {
      this.counters.retransmits++;
      if (this.rttTiming && le(seq, this.rttSeq)) this.rttTiming = false;
    } else if (!this.rttTiming && len > 0) {
      this.rttTiming = true;
      this.rttSeq = seq;
      this.rttStartNs = nowNs;
    }
    this.sendSegmentAt(seq, len, nowNs, fin);
    this.sndNxt = end;
    if (gt(end, this.sndMax)) this.sndMax = end;
    if (this.rtoAt === NO_DEADLINE) this.rtoAt = nowNs + this.rtt.rtoNs;
  }

  private sendSegmentAt(seq: number, len: number, nowNs: number, fin: boolean): void {
    const payload = len > 0 ? this.sndBuf.view(diff(seq, this.bufSeq), len) : EMPTY;
    const last = add(seq, len) === add(this.bufSeq, this.sndBuf.length);
    this.emit({
      seq,
      ack: this.rcvNxt,
      flags: TcpFlags.ACK | (fin ? TcpFlags.FIN : 0) | (len > 0 && last ? TcpFlags.PSH : 0),
      window: 0,
      options: this.segmentOptions(nowNs),
      payload,
    });
  }

  private sendAck(nowNs: number): void {
    this.emit({
      seq: this.sndNxt,
      ack: this.rcvNxt,
      flags: TcpFlags.ACK,
      window: 0,
      options: this.segmentOptions(nowNs),
      payload: EMPTY,
    });
  }

  /** A keepalive or zero-window probe: SEG.SEQ = SND.UNA - 1, no data, which any peer answers with an ACK. */
  private sendProbe(nowNs: number): void {
    this.emit({
      seq: (this.sndUna - 1) >>> 0,
      ack: this.rcvNxt,
      flags: TcpFlags.ACK,
      window: 0,
      options: this.segmentOptions(nowNs),
      payload: EMPTY,
    });
  }

  private segmentOptions(nowNs: number): TcpOptions {
    const o: TcpOptions = {};
    if (this.tsOk) o.timestamps = [this.tsNow(nowNs), this.tsRecent];
    if (this.sackOk && this.ooo.length > 0) {
      // RFC 2018 §4: the block holding the most recent arrival first, then the others.
      const blocks = this.oooRanges.map((r): [number, number] => [r[0], r[1]]);
      const recent = blocks.findIndex(([a, b]) => inRange(this.oooLastSeq, a, b));
      if (recent > 0) blocks.unshift(blocks.splice(recent, 1)[0]!);
      o.sack = blocks.slice(0, this.tsOk ? 3 : 4);
    }
    return o;
  }

  /** Fills in window and ACK bookkeeping, then hands the segment to the host. */
  private emit(seg: Omit<TcpSegment, 'sourcePort' | 'destinationPort' | 'urgent'>): void {
    const full = seg as TcpSegment;
    full.sourcePort = this.endpoints.localPort;
    full.destinationPort = this.endpoints.remotePort;
    full.urgent = 0;
    if (!(seg.flags & TcpFlags.SYN) && !(seg.flags & TcpFlags.RST)) full.window = this.advertiseWindow();
    if (seg.flags & TcpFlags.ACK) {
      this.lastAckSent = this.rcvNxt;
      this.pendingAcks = 0;
      this.ackNow = false;
      this.delackAt = NO_DEADLINE;
    }
    this.counters.segmentsSent++;
    this.host.output(this, full);
  }

  private receiveSpace(): number {
    return Math.max(0, this.config.receiveBufferBytes - this.rcvBuf.length);
  }

  private rcvWindow(): number {
    return Math.max(0, diff(this.rcvAdvRight, this.rcvNxt));
  }

  /** Window field for an outgoing segment; moves the right edge only by useful amounts. */
  private advertiseWindow(): number {
    const right = add(this.rcvNxt, this.receiveSpace());
    const grow = diff(right, this.rcvAdvRight);
    if (grow > 0 && grow >= Math.min(this.config.receiveBufferBytes / 2, this.mss)) {
      const unit = 2 ** this.rcvWscale;
      const win = Math.floor(diff(right, this.rcvNxt) / unit) * unit;
      if (gt(add(this.rcvNxt, win), this.rcvAdvRight)) this.rcvAdvRight = add(this.rcvNxt, win);
    }
    return Math.min(Math.floor(this.rcvWindow() / 2 ** this.rcvWscale), 0xffff);
  }

  private tsNow(nowNs: number): number {
    return (Math.floor(nowNs / 1_000_000) + this.tsOffset) >>> 0;
  }

  // ---- timers ----------------------------------------------------------------------------

  private updatePersist(nowNs: number): void {
    const pending = diff(add(this.bufSeq, this.sndBuf.length), this.sndNxt) > 0;
    // Nothing in flight yet data waiting: either the window is zero (RFC 9293 §3.8.6.1 probes) or
    // sender SWS avoidance holds a small segment back (§3.8.6.2.1 override timeout).
    if (this.canSendData() && pending && this.sndUna === this.sndMax) {
      if (this.persistAt === NO_DEADLINE)
        this.persistAt = nowNs + Math.min(this.rtt.rtoNs * 2 ** this.persistBackoff, this.config.maxRtoNs);
    } else {
      this.persistAt = NO_DEADLINE;
    }
  }

  private updateKeepalive(_nowNs: number): void {
    if (this.config.keepAlive && (this.state === 'ESTABLISHED' || this.state === 'CLOSE-WAIT')) {
      if (this.keepaliveAt === NO_DEADLINE || this.probesUnanswered === 0)
        this.keepaliveAt = this.lastRecvNs + this.config.keepIdleNs;
    } else {
      this.keepaliveAt = NO_DEADLINE;
    }
  }

  private armFinWait2(nowNs: number): void {
    // An orphaned FIN-WAIT-2 would wait forever on a silent peer (Linux tcp_fin_timeout).
    this.closeAt = nowNs + 2 * this.config.mslNs;
  }

  private enterTimeWait(nowNs: number): void {
    this.state = 'TIME-WAIT';
    this.rtoAt = this.persistAt = this.keepaliveAt = NO_DEADLINE;
    this.closeAt = nowNs + 2 * this.config.mslNs;
  }

  private rearm(): void {
    const next = Math.min(this.rtoAt, this.delackAt, this.persistAt, this.keepaliveAt, this.closeAt);
    if (this.state === 'CLOSED' || next === NO_DEADLINE) {
      if (this.timer.armed) this.host.timers.cancel(this.timer);
      return;
    }
    if (!this.timer.armed || this.timer.deadlineNs !== next) {
      this.timer.deadlineNs = next;
      this.host.timers.arm(this.timer);
    }
  }

  private onTimer(): void {
    const now = this.host.nowNs;
    if (now >= this.closeAt) {
      this.release();
      return;
    }
    if (now >= this.rtoAt) {
      this.rtoAt = NO_DEADLINE;
      this.onRetransmitTimeout(now);
      if (this.state === 'CLOSED') return;
    }
    if (now >= this.delackAt) {
      this.delackAt = NO_DEADLINE;
      this.ackNow = true;
    }
    if (now >= this.persistAt) {
      this.persistAt = NO_DEADLINE;
      this.probesUnanswered++;
      if (this.probesUnanswered > this.config.maxRetransmits) return this.fail(Errno.ETIMEDOUT);
      this.persistBackoff++;
      const avail = diff(add(this.bufSeq, this.sndBuf.length), this.sndNxt);
      const usable = this.sndWnd - diff(this.sndNxt, this.sndUna);
      if (usable > 0 && avail > 0) {
        const len = Math.min(this.mss, avail, usable);
        this.sendData(this.sndNxt, len, now, this.finQueued && add(this.sndNxt, len) === this.finSeq);
      } else {
        this.counters.persistProbes++;
        this.sendProbe(now);
      }
    }
    if (now >= this.keepaliveAt) {
      this.keepaliveAt = NO_DEADLINE;
      if (now - this.lastRecvNs >= this.config.keepIdleNs) {
        if (this.probesUnanswered >= this.config.keepCount) return this.fail(Errno.ETIMEDOUT);
        this.probesUnanswered++;
        this.counters.keepaliveProbes++;
        this.sendProbe(now);
        this.keepaliveAt = now + this.config.keepIntervalNs;
      }
    }
    this.flush(now);
  }

  /** RFC 6298 §5.4–§5.6 and RFC 5681 §3.1: timeout, back off, go back to SND.UNA. */
  private onRetransmitTimeout(nowNs: number): void {
    this.counters.timeouts++;
    this.retransmitCount++;
    if (this.state === 'SYN-SENT' || this.state === 'SYN-RECEIVED') {
      const limit = this.passive ? this.config.maxSynAckRetransmits : this.config.maxSynRetransmits;
      if (this.retransmitCount > limit) return this.fail(Errno.ETIMEDOUT);
      this.rtt.backOff();
      this.rttTiming = false;
      this.sendSyn(nowNs, this.state === 'SYN-RECEIVED');
      return;
    }
    if (this.retransmitCount > this.config.maxRetransmits) return this.fail(Errno.ETIMEDOUT);
    if (this.sndUna === this.sndMax) return;
    this.undoPossible = false;
    this.cc.onTimeout(diff(this.sndMax, this.sndUna), nowNs);
    this.rtt.backOff();
    this.inRecovery = false;
    this.dupAcks = 0;
    this.recoverSeq = this.sndMax; // RFC 6582 §3.2 step 1 after a timeout
    this.scoreboard.clear();
    this.highRxt = this.sndUna;
    this.rttTiming = false;
    this.sndNxt = this.sndUna;
    this.rtoAt = nowNs + this.rtt.rtoNs;
    if (this.canSendData()) this.transmit(nowNs);
  }

  private fail(errno: number): void {
    this.error = errno;
    this.abort(this.host.nowNs);
  }

  private release(): void {
    if (this.state === 'CLOSED' && !this.timer.armed) {
      this.onEvent?.();
      return;
    }
    this.state = 'CLOSED';
    this.rtoAt = this.delackAt = this.persistAt = this.keepaliveAt = this.closeAt = NO_DEADLINE;
    if (this.timer.armed) this.host.timers.cancel(this.timer);
    this.host.released(this);
    this.onEvent?.();
  }
}

const EMPTY = new Uint8Array(0);
