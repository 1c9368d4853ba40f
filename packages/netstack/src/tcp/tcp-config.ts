// Tunables of one TCP connection, with Linux-like defaults (and the RFC that bounds each).
import type { CongestionAlgorithm } from './congestion.js';

export interface TcpConfig {
  sendBufferBytes: number;
  receiveBufferBytes: number;
  /** TCP_NODELAY: disable Nagle (RFC 9293 §3.7.4). */
  noDelay: boolean;
  congestion: CongestionAlgorithm;
  sack: boolean;
  timestamps: boolean;
  windowScaling: boolean;
  initialRtoNs: number;
  minRtoNs: number;
  maxRtoNs: number;
  /** RFC 9293 §3.8.6.3: delay at most 500 ms; Linux uses 40 ms. */
  delayedAckNs: number;
  /** Retransmissions of one segment before giving up (Linux tcp_retries2). */
  maxRetransmits: number;
  /** SYN retransmissions before ETIMEDOUT (Linux tcp_syn_retries). */
  maxSynRetransmits: number;
  /** SYN-ACK retransmissions of a passive open before the half-open connection is dropped (Linux tcp_synack_retries). */
  maxSynAckRetransmits: number;
  /** Maximum segment lifetime; TIME-WAIT lasts 2·MSL (RFC 9293 §3.4.2). */
  mslNs: number;
  keepAlive: boolean;
  keepIdleNs: number;
  keepIntervalNs: number;
  keepCount: number;
  /** Largest MSS this end accepts (from the interface MTU). */
  mss: number;
  /**
   * Largest TCP segment (header and payload) handed to the interface at once when its device
   * cuts segments itself (TSO); 0: one MSS at a time.
   */
  segmentationBytes: number;
}

export const DEFAULT_TCP_CONFIG: TcpConfig = {
  sendBufferBytes: 256 * 1024,
  receiveBufferBytes: 256 * 1024,
  noDelay: false,
  congestion: 'newreno',
  sack: true,
  timestamps: true,
  windowScaling: true,
  initialRtoNs: 1_000_000_000,
  minRtoNs: 200_000_000,
  maxRtoNs: 60_000_000_000,
  delayedAckNs: 40_000_000,
  maxRetransmits: 15,
  maxSynRetransmits: 6,
  maxSynAckRetransmits: 5,
  mslNs: 30_000_000_000,
  keepAlive: false,
  keepIdleNs: 7200_000_000_000,
  keepIntervalNs: 75_000_000_000,
  keepCount: 9,
  mss: 1460,
  segmentationBytes: 0,
};
