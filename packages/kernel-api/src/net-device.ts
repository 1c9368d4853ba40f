/** Checksum offloads a NetDevice offers (virtio-net's CSUM / GUEST_CSUM). */
export interface NetOffloads {
  /** The device computes TCP/UDP checksums of transmitted frames. */
  readonly txChecksum: boolean;
  /** Received frames come with their checksums already verified. */
  readonly rxChecksumVerified: boolean;
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
  /** Queues one frame (without FCS). Returns false when the transmit queue is full. */
  transmit(frame: Uint8Array): boolean;
  /** Installs the handler that receives each incoming frame (which it must copy to keep). */
  setReceiver(onFrame: (frame: Uint8Array) => void): void;
  /** Called once when transmit space frees up after `transmit` returned false. */
  onTransmitReady?: () => void;
}
