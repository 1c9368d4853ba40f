// Where a virtio-net device's frames go on the host: a frame-level interface (passt, a TAP
// device and a WebSocket relay come with the netstack issue), and a connected pair for tests.

/** What a vnet-header back-end may hand the guest: the GUEST_* offloads its driver accepted. */
export interface GuestOffloads {
  readonly checksum: boolean;
  readonly tso4: boolean;
  readonly tso6: boolean;
}

export interface NetBackend {
  /** The largest frame payload the back-end carries (its link's MTU); 1500 when absent. */
  readonly mtu?: number;
  /**
   * The back-end speaks virtio_net_hdr (a TAP device with IFF_VNET_HDR): every frame `send`
   * takes and `deliver` gives is preceded by the 12-byte header (§5.1.6), so checksum and
   * segmentation offloads pass through to the host's stack; `checksumValid` is then unused.
   */
  readonly vnetHeader?: boolean;
  /** Called when the driver has chosen its features, so the host hands it only what it takes (QEMU's tap_set_offload). */
  setGuestOffloads?(offloads: GuestOffloads): void;
  /** A frame the guest transmitted (a copy the back-end may keep). */
  send(frame: Uint8Array): void;
  /**
   * The end of a batch of `send`s (the device drained its transmit queue): a back-end that holds
   * frames to write them with one system call writes them now.
   */
  flush?(): void;
  /** Installs the device's receive path; `checksumValid` says the frame's L4 checksum is known good. */
  connect(deliver: (frame: Uint8Array, checksumValid: boolean) => void): void;
}

/** Two back-ends wired to each other: what one side sends, the other receives. */
export class NetPair {
  readonly a: NetBackend;
  readonly b: NetBackend;
  readonly counters = { aToB: 0, bToA: 0 };

  constructor() {
    let toA: ((f: Uint8Array, ok: boolean) => void) | undefined;
    let toB: ((f: Uint8Array, ok: boolean) => void) | undefined;
    this.a = {
      send: (f) => {
        this.counters.aToB++;
        toB?.(f, true);
      },
      connect: (d) => void (toA = d),
    };
    this.b = {
      send: (f) => {
        this.counters.bToA++;
        toA?.(f, true);
      },
      connect: (d) => void (toB = d),
    };
  }
}

/** A back-end that returns every frame to its sender (a cable looped back). */
export class LoopbackNetBackend implements NetBackend {
  private deliver: ((f: Uint8Array, ok: boolean) => void) | undefined;

  send(frame: Uint8Array): void {
    this.deliver?.(frame, true);
  }

  connect(deliver: (frame: Uint8Array, checksumValid: boolean) => void): void {
    this.deliver = deliver;
  }
}
