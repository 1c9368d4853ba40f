// virtio-net driver (virtio 1.2 §5.1.6) as kernel-api's NetDevice: receive buffers stay posted
// (and are reposted as the device uses them), transmit copies each frame behind a
// virtio_net_hdr into a DMA buffer from a fixed pool, and never blocks: with every buffer in
// flight, transmit() returns false and onTransmitReady fires once one comes back.
import type { NetDevice, NetOffloads } from '@osv-ts/kernel-api';
import type { GuestMemory } from '../guest-memory.js';
import type { GuestVirtqueue } from '../guest/guest-virtqueue.js';
import type { DmaAllocator, VirtioMmioTransport } from '../guest/mmio-transport.js';
import { Feature, INT_CONFIG, bit } from '../mmio/registers.js';
import {
  NET_HDR_BYTES,
  NET_GSO_MAX_FRAME_BYTES,
  NET_HDR_F_DATA_VALID,
  NET_HDR_F_NEEDS_CSUM,
  NET_HDR_GSO_TCPV4,
  NET_HDR_GSO_TCPV6,
  NET_RECEIVEQ,
  NET_S_LINK_UP,
  NET_TRANSMITQ,
  NetConfig,
  NetFeature,
  locateL4Checksum,
  readNetHeader,
  type NetHeader,
  writeNetHeader,
} from './net-format.js';

/** A receive buffer, and a transmit buffer for frames up to MTU 1500 (§5.1.6.3: 2048 hold one). */
const BUFFER_BYTES = 2048;
const ETHERNET_HEADER_BYTES = 14;
/** The largest MTU adopted: a 64 KiB IPv4 datagram less 15 bytes, passt's default (passt(1)). */
const MAX_MTU = 65520;
/** Receive buffers posted when the MTU is above 1500: a 64 KiB frame spans 33 of them. */
const LARGE_MTU_RX_BUFFERS = 256;

export interface VirtioNetDriverOptions {
  readonly rxBuffers?: number;
  readonly txBuffers?: number;
  /**
   * Let the device finish TCP/UDP checksums (VIRTIO_NET_F_CSUM). The stack then leaves the
   * pseudo-header sum in the checksum field, as Linux does for CHECKSUM_PARTIAL.
   */
  readonly txChecksumOffload?: boolean;
  /** Transmit buffers for frames above 2 KiB, each of the MTU's size (default 8; 0 caps the MTU). */
  readonly largeTxBuffers?: number;
  /**
   * Negotiate TCP segmentation both ways when the device offers it (HOST_TSO4/6 with CSUM,
   * GUEST_TSO4/6 with GUEST_CSUM and MRG_RXBUF; default true).
   */
  readonly segmentationOffload?: boolean;
}

const HOST_TSO = bit(NetFeature.HOST_TSO4) | bit(NetFeature.HOST_TSO6);
const GUEST_TSO = bit(NetFeature.GUEST_TSO4) | bit(NetFeature.GUEST_TSO6);

/** §5.1.3.1: the features the driver must not accept without their prerequisites. */
function pruneNetFeatures(f: bigint): bigint {
  if (!(f & bit(NetFeature.CSUM))) f &= ~HOST_TSO;
  if (!(f & bit(NetFeature.GUEST_CSUM)) || !(f & bit(NetFeature.MRG_RXBUF))) f &= ~GUEST_TSO;
  return f;
}

export class VirtioNetDriver implements NetDevice {
  mac = new Uint8Array(6);
  mtu = 1500;
  offloads: NetOffloads = { txChecksum: false, rxChecksumVerified: false };
  onTransmitReady?: () => void;
  private features = 0n;
  private rx!: GuestVirtqueue<number>;
  private tx!: GuestVirtqueue<number>;
  private readonly freeTx: number[] = [];
  /** Transmit buffers of `largeTxBytes` each, for frames that do not fit a small one. */
  private readonly freeLargeTx: number[] = [];
  private largeTxBytes = 0;
  private largeTxStart = 0;
  private largeTxEnd = 0;
  private receiver: ((frame: Uint8Array, checksumVerified: boolean) => void) | undefined;
  private txBlocked = false;
  private link = true;
  broken = false;
  readonly counters = {
    txFrames: 0,
    txFull: 0,
    rxFrames: 0,
    rxBuffers: 0,
    interrupts: 0,
    notifications: 0,
    rxChecksumValid: 0,
    txSegmentedFrames: 0,
  };

  constructor(
    readonly name: string,
    private readonly transport: VirtioMmioTransport,
    private readonly mem: GuestMemory,
    private readonly dma: DmaAllocator,
    private readonly options: VirtioNetDriverOptions = {},
  ) {}

  get linkUp(): boolean {
    return this.link;
  }

  init(): void {
    const t = this.transport;
    let wanted =
      bit(Feature.EVENT_IDX) |
      bit(NetFeature.MAC) |
      bit(NetFeature.STATUS) |
      bit(NetFeature.MRG_RXBUF) |
      bit(NetFeature.GUEST_CSUM) |
      bit(NetFeature.MTU);
    const tso = this.options.segmentationOffload ?? true;
    if (tso) wanted |= bit(NetFeature.CSUM) | HOST_TSO | GUEST_TSO;
    if (this.options.txChecksumOffload) wanted |= bit(NetFeature.CSUM);
    this.features = t.negotiate(wanted, 0n, pruneNetFeatures);
    if (this.has(NetFeature.MAC)) for (let i = 0; i < 6; i++) this.mac[i] = t.readConfig(NetConfig.mac + i, 1);
    // §5.1.4.1: the config MTU is the most the device takes, not what the driver must use. A
    // frame above 2 KiB goes out from one of the large transmit buffers (one descriptor per
    // frame, as the device's back-end writes a frame at once); receive needs MRG_RXBUF, where a
    // large frame spans several buffers (§5.1.6.3.2) — without it the MTU stays 1500.
    const largeTx = this.options.largeTxBuffers ?? 8;
    if (this.has(NetFeature.MTU)) {
      const deviceMtu = t.readConfig(NetConfig.mtu, 2) || 1500;
      const smallMtu = BUFFER_BYTES - NET_HDR_BYTES - ETHERNET_HEADER_BYTES;
      this.mtu = Math.min(deviceMtu, largeTx > 0 ? MAX_MTU : smallMtu);
      if (!this.has(NetFeature.MRG_RXBUF)) this.mtu = Math.min(this.mtu, 1500);
    }
    this.readStatus();
    this.offloads = {
      txChecksum: this.options.txChecksumOffload === true && this.has(NetFeature.CSUM),
      rxChecksumVerified: false,
      tcpSegmentation: (this.features & HOST_TSO) === HOST_TSO, // the stack cuts for IPv4 and IPv6 alike
    };
    const rxCount = this.options.rxBuffers ?? (this.mtu > 1500 ? LARGE_MTU_RX_BUFFERS : 64);
    const txCount = this.options.txBuffers ?? 64;
    this.rx = t.setupQueue<number>(NET_RECEIVEQ, rxCount, this.dma);
    this.tx = t.setupQueue<number>(NET_TRANSMITQ, txCount, this.dma);
    const rxPool = this.dma.alloc(BUFFER_BYTES * this.rx.size);
    // A TSO frame is up to a 64 KiB IP datagram, whatever the MTU.
    const largeBytes =
      NET_HDR_BYTES + (this.offloads.tcpSegmentation ? NET_GSO_MAX_FRAME_BYTES : ETHERNET_HEADER_BYTES + this.mtu);
    // Every buffer has a ring slot of its own, so a frame never waits for a descriptor.
    const large = largeBytes > BUFFER_BYTES ? Math.min(largeTx, this.tx.size >>> 1) : 0;
    if (large === 0) this.mtu = Math.min(this.mtu, BUFFER_BYTES - NET_HDR_BYTES - ETHERNET_HEADER_BYTES);
    const small = this.tx.size - large;
    const txPool = this.dma.alloc(BUFFER_BYTES * small);
    for (let i = 0; i < small; i++) this.freeTx.push(txPool + i * BUFFER_BYTES);
    if (large > 0) {
      this.largeTxBytes = largeBytes;
      this.largeTxStart = this.dma.alloc(largeBytes * large);
      this.largeTxEnd = this.largeTxStart + largeBytes * large;
      for (let i = 0; i < large; i++) this.freeLargeTx.push(this.largeTxStart + i * largeBytes);
    }
    t.driverOk();
    // §5.1.6.3: without MRG_RXBUF each buffer must hold a whole frame; 2048 bytes do for MTU 1500.
    for (let i = 0; i < this.rx.size; i++) this.postRx(rxPool + i * BUFFER_BYTES);
    if (this.rx.publish()) t.notify(NET_RECEIVEQ);
  }

  setReceiver(onFrame: (frame: Uint8Array, checksumVerified?: boolean) => void): void {
    this.receiver = onFrame;
    this.takeReceived();
  }

  transmit(frame: Uint8Array, segmentSize?: number): boolean {
    this.reclaimTx();
    const bytes = frame.length + NET_HDR_BYTES;
    const large = bytes > BUFFER_BYTES;
    if (large && bytes > this.largeTxBytes) throw new RangeError(`frame of ${frame.length} bytes exceeds the MTU`);
    const gso =
      segmentSize !== undefined && this.offloads.tcpSegmentation ? this.gsoHeader(frame, segmentSize) : undefined;
    if (!gso && frame.length > ETHERNET_HEADER_BYTES + this.mtu)
      throw new RangeError(`frame of ${frame.length} bytes exceeds the MTU`);
    const buffer = large ? this.freeLargeTx.pop() : this.freeTx.pop();
    if (buffer === undefined) {
      this.counters.txFull++;
      this.txBlocked = true;
      return false;
    }
    const hdr = this.mem.bytes.subarray(buffer, buffer + NET_HDR_BYTES);
    const l4 = !gso && this.offloads.txChecksum ? locateL4Checksum(frame) : undefined;
    writeNetHeader(hdr, gso ?? (l4 ? { flags: NET_HDR_F_NEEDS_CSUM, csumStart: l4.start, csumOffset: l4.offset } : {}));
    this.mem.bytes.set(frame, buffer + NET_HDR_BYTES);
    this.tx.add([{ address: buffer, length: NET_HDR_BYTES + frame.length }], [], buffer);
    this.counters.txFrames++;
    if (gso) this.counters.txSegmentedFrames++;
    if (this.tx.publish()) {
      this.counters.notifications++;
      this.transport.notify(NET_TRANSMITQ);
    }
    return true;
  }

  /**
   * The virtio_net_hdr of a TCP frame the device is to segment (§5.1.6.2.1): NEEDS_CSUM over the
   * TCP header on, GSO type by IP version, gso_size the payload per segment, hdr_len all headers.
   * A frame that needs no cutting (or is not TCP) goes as it is.
   */
  private gsoHeader(frame: Uint8Array, segmentSize: number): Partial<NetHeader> | undefined {
    const l4 = locateL4Checksum(frame);
    if (!l4 || l4.offset !== 16 || l4.start + 20 > frame.length) return undefined;
    const headerBytes = l4.start + ((frame[l4.start + 12]! >>> 4) << 2);
    if (frame.length - headerBytes <= segmentSize) return undefined;
    const v6 = frame[12] === 0x86;
    if (!this.has(v6 ? NetFeature.HOST_TSO6 : NetFeature.HOST_TSO4)) return undefined;
    return {
      flags: NET_HDR_F_NEEDS_CSUM,
      gsoType: v6 ? NET_HDR_GSO_TCPV6 : NET_HDR_GSO_TCPV4,
      hdrLen: headerBytes,
      gsoSize: segmentSize,
      csumStart: l4.start,
      csumOffset: l4.offset,
    };
  }

  onInterrupt(): void {
    this.counters.interrupts++;
    const status = this.transport.takeInterrupt();
    if (status & INT_CONFIG) {
      if (this.transport.needsReset()) this.broken = true;
      this.readStatus();
    }
    this.takeReceived();
    this.reclaimTx();
  }

  private has(f: bigint): boolean {
    return (this.features & bit(f)) !== 0n;
  }

  private readStatus(): void {
    this.link = this.has(NetFeature.STATUS)
      ? (this.transport.readConfig(NetConfig.status, 2) & NET_S_LINK_UP) !== 0
      : true;
  }

  private postRx(buffer: number): void {
    this.rx.add([], [{ address: buffer, length: BUFFER_BYTES }], buffer);
  }

  private reclaimTx(): void {
    let u;
    while ((u = this.tx.takeUsed()) !== undefined) {
      if (this.isLargeTx(u.token)) this.freeLargeTx.push(u.token);
      else this.freeTx.push(u.token);
    }
    if (this.txBlocked && (this.freeTx.length > 0 || this.freeLargeTx.length > 0)) {
      this.txBlocked = false;
      this.onTransmitReady?.();
    }
  }

  private isLargeTx(buffer: number): boolean {
    return buffer >= this.largeTxStart && buffer < this.largeTxEnd;
  }

  private takeReceived(): void {
    if (!this.receiver) return;
    let u;
    let reposted = false;
    const mergeable = this.has(NetFeature.MRG_RXBUF);
    while ((u = this.rx.takeUsed()) !== undefined) {
      const first = this.mem.bytes.subarray(u.token, u.token + Math.min(u.writtenBytes, BUFFER_BYTES));
      const hdr = readNetHeader(first);
      const count = mergeable ? Math.max(1, hdr.numBuffers) : 1;
      const parts: Uint8Array[] = [first.subarray(NET_HDR_BYTES)];
      this.postRx(u.token);
      for (let i = 1; i < count; i++) {
        // §5.1.6.4.2: the rest of a merged frame is in the next used buffers.
        const more = this.rx.takeUsed();
        if (!more) break;
        parts.push(this.mem.bytes.subarray(more.token, more.token + Math.min(more.writtenBytes, BUFFER_BYTES)));
        this.postRx(more.token);
      }
      const frame = parts.length === 1 ? parts[0]!.slice() : concat(parts);
      this.counters.rxFrames++;
      this.counters.rxBuffers += parts.length;
      // §5.1.6.4.1: DATA_VALID (checked by the device) and NEEDS_CSUM (a partial checksum from
      // the host's own stack, never on a wire) both mean there is nothing to verify.
      const verified = (hdr.flags & (NET_HDR_F_DATA_VALID | NET_HDR_F_NEEDS_CSUM)) !== 0;
      if (verified) this.counters.rxChecksumValid++;
      reposted = true;
      this.receiver(frame, verified);
    }
    if (reposted && this.rx.publish()) {
      this.counters.notifications++;
      this.transport.notify(NET_RECEIVEQ);
    }
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
