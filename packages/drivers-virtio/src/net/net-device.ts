// virtio-net device model (virtio 1.2 §5.1) for the VMM: one receive and one transmit queue,
// MAC and link STATUS in the configuration space, mergeable receive buffers (MRG_RXBUF), and
// the checksum offloads (CSUM: complete a partial checksum for the guest on transmit;
// GUEST_CSUM: mark received frames whose checksum the back-end vouches for as DATA_VALID).
// With a back-end that speaks virtio_net_hdr (a TAP with IFF_VNET_HDR) it also offers TCP
// segmentation both ways (HOST_TSO4/6, GUEST_TSO4/6) and passes headers through, so the host's
// stack cuts and coalesces 64 KiB segments. Not built: the control queue, multiqueue, UFO.
// Frames for the guest wait in a bounded queue while it has no receive buffers posted, and are
// dropped (counted) beyond it.
import type { DeviceModel, DeviceModelHost } from '../device/device-model.js';
import type { DescriptorChain, DeviceVirtqueue } from '../device/device-virtqueue.js';
import { DeviceId, Feature, bit } from '../mmio/registers.js';
import { segmentRange } from '../ring/segment-range.js';
import type { NetBackend } from './net-backend.js';
import {
  NET_HDR_BYTES,
  NET_HDR_F_DATA_VALID,
  NET_HDR_F_NEEDS_CSUM,
  NET_HDR_GSO_ECN,
  NET_HDR_GSO_NONE,
  NET_HDR_GSO_TCPV4,
  NET_HDR_GSO_TCPV6,
  NET_RECEIVEQ,
  NET_S_LINK_UP,
  NET_TRANSMITQ,
  NetConfig,
  NetFeature,
  onesSum,
  readNetHeader,
  writeNetHeader,
  type NetHeader,
} from './net-format.js';

export interface VirtioNetOptions {
  readonly mac: Uint8Array;
  /** The MTU offered to the guest (VIRTIO_NET_F_MTU); by default the back-end's, else 1500. */
  readonly mtu?: number;
  /** Frames kept for the guest while it has no receive buffers (default 256). */
  readonly rxBacklog?: number;
}

const BASE_FEATURES =
  bit(Feature.VERSION_1) |
  bit(Feature.EVENT_IDX) |
  bit(Feature.INDIRECT_DESC) |
  bit(NetFeature.MAC) |
  bit(NetFeature.STATUS) |
  bit(NetFeature.MRG_RXBUF) |
  bit(NetFeature.CSUM) |
  bit(NetFeature.GUEST_CSUM) |
  bit(NetFeature.MTU);
/** Segmentation both ways, offered when the back-end takes and gives vnet headers (a TAP). */
const TSO_FEATURES =
  bit(NetFeature.HOST_TSO4) | bit(NetFeature.HOST_TSO6) | bit(NetFeature.GUEST_TSO4) | bit(NetFeature.GUEST_TSO6);

/** A frame waiting for receive buffers, with the back-end's header when it has one. */
interface PendingFrame {
  readonly frame: Uint8Array;
  readonly valid: boolean;
  readonly header?: NetHeader;
}

export class VirtioNetDevice implements DeviceModel {
  readonly deviceId = DeviceId.Net;
  readonly deviceFeatures: bigint;
  readonly numQueues = 2;
  readonly configBytes = NetConfig.bytes;
  readonly maxQueueSize = 256;
  readonly counters = {
    txFrames: 0,
    txBytes: 0,
    txChecksums: 0,
    txErrors: 0,
    txSegmentedFrames: 0,
    rxFrames: 0,
    rxSegmentedFrames: 0,
    rxBytes: 0,
    rxBuffers: 0,
    rxDropped: 0,
  };
  private readonly config = new DataView(new ArrayBuffer(NetConfig.bytes));
  private host: DeviceModelHost | undefined;
  private queues: readonly (DeviceVirtqueue | undefined)[] = [];
  private features = 0n;
  private readonly backlog: PendingFrame[] = [];
  private readonly rxBacklog: number;
  /** A chain popped from the receive queue but not yet used (a frame that did not fit). */
  private spare: DescriptorChain[] = [];
  /** The virtio_net_hdr of the frame being delivered (copied into the guest's buffer). */
  private readonly rxHeader = new Uint8Array(NET_HDR_BYTES);

  constructor(
    readonly name: string,
    readonly backend: NetBackend,
    readonly options: VirtioNetOptions,
  ) {
    if (options.mac.length !== 6) throw new RangeError('a MAC address has 6 bytes');
    this.deviceFeatures = BASE_FEATURES | (backend.vnetHeader ? TSO_FEATURES : 0n);
    new Uint8Array(this.config.buffer).set(options.mac, NetConfig.mac);
    this.config.setUint16(NetConfig.status, NET_S_LINK_UP, true);
    this.config.setUint16(NetConfig.maxVirtqueuePairs, 1, true);
    this.config.setUint16(NetConfig.mtu, options.mtu ?? backend.mtu ?? 1500, true);
    this.rxBacklog = options.rxBacklog ?? 256;
    backend.connect((frame, valid) => this.receive(frame, valid));
  }

  get linkUp(): boolean {
    return (this.config.getUint16(NetConfig.status, true) & NET_S_LINK_UP) !== 0;
  }

  /** Changes the link state and tells the guest (a configuration change, §5.1.4). */
  setLinkUp(up: boolean): void {
    this.config.setUint16(NetConfig.status, up ? NET_S_LINK_UP : 0, true);
    this.host?.signalConfigChange();
  }

  readConfig(offset: number, size: number): number {
    if (offset < 0 || offset + size > NetConfig.bytes) return 0;
    const c = this.config;
    return size === 1 ? c.getUint8(offset) : size === 2 ? c.getUint16(offset, true) : c.getUint32(offset, true);
  }

  activate(host: DeviceModelHost, features: bigint, queues: readonly (DeviceVirtqueue | undefined)[]): void {
    this.host = host;
    this.features = features;
    this.queues = queues;
    this.spare = [];
    this.backend.setGuestOffloads?.({
      checksum: this.has(NetFeature.GUEST_CSUM),
      tso4: this.has(NetFeature.GUEST_TSO4),
      tso6: this.has(NetFeature.GUEST_TSO6),
    });
    this.fillReceive();
  }

  reset(): void {
    // Frames that arrived before the driver first set the device up stay queued (the
    // driver's probe begins with a reset): a port forward may have sent a SYN by then, and a
    // forwarder that does not retransmit it leaves its client waiting. A driver that resets
    // a running device drops what was pending, as a NIC does.
    if (this.host) this.backlog.length = 0;
    this.host = undefined;
    this.queues = [];
    this.spare = [];
  }

  notify(index: number): void {
    if (index === NET_TRANSMITQ) this.transmit();
    else if (index === NET_RECEIVEQ) this.fillReceive();
  }

  /**
   * Device thread: drains the transmit queue (the driver's kicks off meanwhile) and gives waiting
   * frames the receive buffers there are; whether it moved anything.
   */
  service(): boolean {
    if (!this.host) return false;
    let worked = false;
    const tx = this.queues[NET_TRANSMITQ];
    if (tx) {
      tx.disableNotifications();
      if (tx.pending() > 0) {
        this.transmit();
        worked = true;
      }
    }
    if (this.backlog.length > 0 && this.fillReceive()) worked = true;
    return worked;
  }

  /**
   * Before the device thread sleeps: transmit kicks back on; receive kicks only while frames
   * wait for buffers (a driver refilling its ring need not wake anyone otherwise).
   */
  quiesce(): boolean {
    const tx = this.queues[NET_TRANSMITQ];
    const rx = this.queues[NET_RECEIVEQ];
    let idle = tx ? tx.enableNotifications() : true;
    if (rx) {
      if (this.backlog.length === 0) rx.disableNotifications();
      else if (!rx.enableNotifications()) idle = false;
    }
    return idle;
  }

  private has(f: bigint): boolean {
    return (this.features & bit(f)) !== 0n;
  }

  private transmit(): void {
    const host = this.host;
    const q = this.queues[NET_TRANSMITQ];
    if (!host || !q) return;
    let chain;
    while ((chain = q.pop()) !== undefined) {
      const bytes = new Uint8Array(chain.readableBytes);
      let at = 0;
      for (const s of chain.readable) {
        bytes.set(host.memory.slice(s.address, s.length, 'virtio-net transmit buffer'), at);
        at += s.length;
      }
      q.pushUsed(chain.head, 0);
      if (bytes.length < NET_HDR_BYTES) {
        this.counters.txErrors++;
        continue;
      }
      const hdr = readNetHeader(bytes);
      const frame = bytes.subarray(NET_HDR_BYTES);
      if (hdr.gsoType !== NET_HDR_GSO_NONE) {
        // §5.1.6.2: a GSO header needs the HOST_TSO feature of its type.
        const type = hdr.gsoType & ~NET_HDR_GSO_ECN;
        const feature = type === NET_HDR_GSO_TCPV4 ? NetFeature.HOST_TSO4 : NetFeature.HOST_TSO6;
        if ((type !== NET_HDR_GSO_TCPV4 && type !== NET_HDR_GSO_TCPV6) || !this.has(feature)) {
          this.counters.txErrors++;
          continue;
        }
        this.counters.txSegmentedFrames++;
      }
      if (this.backend.vnetHeader) {
        // The host's stack completes the checksum and cuts the segments.
        this.counters.txFrames++;
        this.counters.txBytes += frame.length;
        this.backend.send(bytes);
        continue;
      }
      if (hdr.flags & NET_HDR_F_NEEDS_CSUM && this.has(NetFeature.CSUM)) {
        // §5.1.6.2: checksum from csum_start to the end, stored at csum_start + csum_offset
        // (the field holds the pseudo-header sum the driver put there).
        const field = hdr.csumStart + hdr.csumOffset;
        if (field + 2 > frame.length) {
          this.counters.txErrors++;
          continue;
        }
        const sum = ~onesSum(frame.subarray(hdr.csumStart)) & 0xffff;
        frame[field] = sum >>> 8;
        frame[field + 1] = sum & 0xff;
        this.counters.txChecksums++;
      }
      this.counters.txFrames++;
      this.counters.txBytes += frame.length;
      this.backend.send(frame);
    }
    this.backend.flush?.();
    host.signalUsed(q);
  }

  private receive(bytes: Uint8Array, valid: boolean): void {
    if (this.backlog.length >= this.rxBacklog) {
      this.counters.rxDropped++;
      return;
    }
    if (!this.backend.vnetHeader) {
      this.backlog.push({ frame: bytes.slice(), valid });
    } else {
      if (bytes.length < NET_HDR_BYTES) {
        this.counters.rxDropped++;
        return;
      }
      const header = readNetHeader(bytes);
      this.backlog.push({ frame: bytes.slice(NET_HDR_BYTES), valid: false, header });
    }
    this.fillReceive();
  }

  /**
   * The header the guest gets for a frame: the back-end's offload fields where the guest took
   * the features (a TAP is told which, setGuestOffloads), else none. undefined: the frame uses a
   * segmentation the guest did not accept (the host ignored TUNSETOFFLOAD), and is dropped.
   */
  private guestHeader(p: PendingFrame): Partial<NetHeader> | undefined {
    const csum = this.has(NetFeature.GUEST_CSUM);
    const h = p.header;
    if (!h) return { flags: p.valid && csum ? NET_HDR_F_DATA_VALID : 0 };
    if (h.flags & NET_HDR_F_NEEDS_CSUM && !csum) {
      // A guest without GUEST_CSUM gets the checksum completed, as it would from a wire.
      const field = h.csumStart + h.csumOffset;
      if (h.gsoType !== NET_HDR_GSO_NONE || field + 2 > p.frame.length) return undefined;
      const sum = ~onesSum(p.frame.subarray(h.csumStart)) & 0xffff;
      p.frame[field] = sum >>> 8;
      p.frame[field + 1] = sum & 0xff;
      return {};
    }
    if (h.gsoType !== NET_HDR_GSO_NONE) {
      const type = h.gsoType & ~NET_HDR_GSO_ECN;
      const ok =
        (type === NET_HDR_GSO_TCPV4 && this.has(NetFeature.GUEST_TSO4)) ||
        (type === NET_HDR_GSO_TCPV6 && this.has(NetFeature.GUEST_TSO6));
      if (!ok) return undefined;
    }
    return {
      flags: csum ? h.flags & (NET_HDR_F_NEEDS_CSUM | NET_HDR_F_DATA_VALID) : 0,
      gsoType: h.gsoType,
      hdrLen: h.hdrLen,
      gsoSize: h.gsoSize,
      csumStart: h.csumStart,
      csumOffset: h.csumOffset,
    };
  }

  /** Whether a frame reached the guest. */
  private fillReceive(): boolean {
    const host = this.host;
    const q = this.queues[NET_RECEIVEQ];
    if (!host || !q) return false;
    const mergeable = this.has(NetFeature.MRG_RXBUF);
    let delivered = false;
    while (this.backlog.length > 0) {
      const pending = this.backlog[0]!;
      const { frame } = pending;
      const guestHeader = this.guestHeader(pending);
      if (!guestHeader) {
        this.backlog.shift();
        this.counters.rxDropped++;
        continue;
      }
      const total = NET_HDR_BYTES + frame.length;
      // Take chains until the frame fits (one chain without MRG_RXBUF, §5.1.6.3.1).
      const chains = this.spare;
      let room = chains.reduce((n, c) => n + c.writableBytes, 0);
      while (room < total && (mergeable || chains.length === 0)) {
        const c = q.pop();
        if (!c) break;
        chains.push(c);
        room += c.writableBytes;
      }
      if (room < total) {
        if (!mergeable && chains.length > 0) {
          // A buffer too small for this frame without MRG_RXBUF: drop the frame, keep the buffer.
          this.backlog.shift();
          this.counters.rxDropped++;
          continue;
        }
        break; // wait for more buffers
      }
      this.backlog.shift();
      const header = this.rxHeader;
      let used = 0;
      let at = 0;
      const usedChains: [DescriptorChain, number][] = [];
      for (const c of chains) {
        if (at >= total) break;
        const n = Math.min(c.writableBytes, total - at);
        usedChains.push([c, n]);
        at += n;
        used++;
      }
      writeNetHeader(header, { ...guestHeader, numBuffers: mergeable ? used : 0 });
      if (guestHeader.gsoType) this.counters.rxSegmentedFrames++;
      // Header and frame straight into the guest's buffers, without joining them first.
      at = 0;
      for (const [c, n] of usedChains) {
        for (const p of segmentRange(c.writable, 0, n)) {
          const into = host.memory.slice(p.address, p.length, 'virtio-net receive buffer');
          let done = 0;
          if (at < NET_HDR_BYTES) {
            done = Math.min(NET_HDR_BYTES - at, p.length);
            into.set(header.subarray(at, at + done));
          }
          const from = at + done - NET_HDR_BYTES;
          if (done < p.length) into.set(frame.subarray(from, from + p.length - done), done);
          at += p.length;
        }
        q.pushUsed(c.head, n);
      }
      this.spare = chains.slice(used);
      this.counters.rxFrames++;
      this.counters.rxBytes += frame.length;
      this.counters.rxBuffers += used;
      delivered = true;
    }
    if (delivered) host.signalUsed(q);
    return delivered;
  }
}
