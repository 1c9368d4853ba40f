/** Offloads a NetDevice offers (virtio-net's CSUM / GUEST_CSUM, HOST_TSO4/6). */
export interface NetOffloads {
  /** The device computes TCP/UDP checksums of transmitted frames. */
  readonly txChecksum: boolean;
  /** Received frames come with their checksums already verified. */
  readonly rxChecksumVerified: boolean;
  /**
   * TCP segmentation (TSO): `transmit(frame, segmentSize)` takes one TCP segment of up to a 64
   * KiB IP datagram, beyond the MTU, and the device cuts it into segments of `segmentSize`
   * payload bytes (Linux's GSO rules: headers copied, sequence numbers, IP lengths and ids
   * advanced, FIN/PSH on the last only). Its TCP checksum field holds the pseudo-header sum
   * (not complemented), as Linux's CHECKSUM_PARTIAL.
   */
  readonly tcpSegmentation?: boolean;
}

/**
 * An Ethernet frame device (virtio-net, a loopback pair, a simulated link). Non-blocking:
 * `transmit` either takes the frame or reports the queue full; received frames are delivered
 * to the receiver callback from the interrupt path.
 */
export interface NetDevice {
  readonly name: string;
  /** 6-byte MAC address. */
  readonly mac: Uint8Array;
  readonly mtu: number;
  readonly offloads: NetOffloads;
  /** Link state (virtio-net STATUS). */
  readonly linkUp: boolean;
  /**
   * Queues one frame (without FCS). Returns false when the transmit queue is full. With
   * `segmentSize`, the frame is a TCP segment for the device to cut (offloads.tcpSegmentation).
   */
  transmit(frame: Uint8Array, segmentSize?: number): boolean;
  /**
   * Installs the handler that receives each incoming frame (which it must copy to keep);
   * `checksumVerified` says the device vouches for this frame's L4 checksum (virtio-net's
   * DATA_VALID, or NEEDS_CSUM: a frame from the host's own stack whose checksum was never
   * computed). Such a frame may be a coalesced TCP segment larger than the MTU.
   */
  setReceiver(onFrame: (frame: Uint8Array, checksumVerified?: boolean) => void): void;
  /** Called once when transmit space frees up after `transmit` returned false. */
  onTransmitReady?: () => void;
}
