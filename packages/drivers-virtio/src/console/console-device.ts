// virtio-console device model (virtio 1.2 §5.3) for the VMM: port 0 only (no MULTIPORT).
// transmitq bytes go to a host sink (stdout, stderr, a test buffer) in order; receiveq buffers
// are filled from host input as it arrives.
import type { DeviceModel, DeviceModelHost } from '../device/device-model.js';
import type { DeviceVirtqueue } from '../device/device-virtqueue.js';
import { DeviceId, Feature, bit } from '../mmio/registers.js';

export const CONSOLE_RECEIVEQ = 0;
export const CONSOLE_TRANSMITQ = 1;
/** §5.3.3 feature bits. */
export const VIRTIO_CONSOLE_F_SIZE = 0n;

export interface ConsoleSink {
  /** Receives output bytes; must copy them before returning (they live in guest RAM). */
  write(bytes: Uint8Array): void;
}

export class VirtioConsoleDevice implements DeviceModel {
  readonly deviceId = DeviceId.Console;
  readonly deviceFeatures =
    bit(Feature.VERSION_1) | bit(Feature.EVENT_IDX) | bit(Feature.INDIRECT_DESC) | bit(VIRTIO_CONSOLE_F_SIZE);
  readonly numQueues = 2;
  readonly maxQueueSize = 256;
  readonly counters = { txBytes: 0, txChains: 0, rxBytes: 0, rxChains: 0 };
  private host: DeviceModelHost | undefined;
  private queues: readonly (DeviceVirtqueue | undefined)[] = [];
  private readonly pendingInput: Uint8Array[] = [];
  /** Host input ended; after the pending bytes, one empty receive buffer tells the guest. */
  private inputEnded = false;
  private endDelivered = false;

  constructor(
    readonly name: string,
    private readonly sink: ConsoleSink,
    private readonly columns = 80,
    private readonly rows = 25,
  ) {}

  readConfig(offset: number, size: number): number {
    // §5.3.4: struct virtio_console_config { le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr; }
    const config = new DataView(new ArrayBuffer(12));
    config.setUint16(0, this.columns, true);
    config.setUint16(2, this.rows, true);
    config.setUint32(4, 1, true);
    if (offset < 0 || offset + size > 12) return 0;
    return size === 1
      ? config.getUint8(offset)
      : size === 2
        ? config.getUint16(offset, true)
        : config.getUint32(offset, true);
  }

  activate(host: DeviceModelHost, _features: bigint, queues: readonly (DeviceVirtqueue | undefined)[]): void {
    this.host = host;
    this.queues = queues;
    this.fillReceive();
  }

  notify(index: number): void {
    if (index === CONSOLE_TRANSMITQ) this.drainTransmit();
    else if (index === CONSOLE_RECEIVEQ) this.fillReceive();
  }

  /** Host input for the guest (e.g. stdin bytes); delivered as receive buffers become available. */
  pushInput(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    this.pendingInput.push(bytes.slice());
    this.fillReceive();
  }

  /**
   * Host input reached end of file. virtio-console has no EOF of its own (§5.3); osv-ts returns
   * one receive buffer with 0 bytes written after the last data, which its driver reads as EOF.
   */
  endInput(): void {
    this.inputEnded = true;
    this.fillReceive();
  }

  reset(): void {
    this.host = undefined;
    this.queues = [];
  }

  private drainTransmit(): void {
    const host = this.host;
    const q = this.queues[CONSOLE_TRANSMITQ];
    if (!host || !q) return;
    let chain;
    while ((chain = q.pop()) !== undefined) {
      for (const seg of chain.readable)
        this.sink.write(host.memory.slice(seg.address, seg.length, 'console transmit buffer'));
      this.counters.txBytes += chain.readableBytes;
      this.counters.txChains++;
      q.pushUsed(chain.head, 0);
    }
    host.signalUsed(q);
  }

  private fillReceive(): void {
    const host = this.host;
    const q = this.queues[CONSOLE_RECEIVEQ];
    if (!host || !q) return;
    if (this.pendingInput.length === 0 && !(this.inputEnded && !this.endDelivered)) return;
    let delivered = false;
    while (this.pendingInput.length > 0 && q.pending() > 0) {
      const chain = q.pop()!;
      let written = 0;
      for (const seg of chain.writable) {
        let room = seg.length;
        let at = seg.address;
        while (room > 0 && this.pendingInput.length > 0) {
          const head = this.pendingInput[0]!;
          const n = Math.min(room, head.length);
          host.memory.slice(at, n, 'console receive buffer').set(head.subarray(0, n));
          at += n;
          room -= n;
          written += n;
          if (n === head.length) this.pendingInput.shift();
          else this.pendingInput[0] = head.subarray(n);
        }
      }
      this.counters.rxBytes += written;
      this.counters.rxChains++;
      q.pushUsed(chain.head, written);
      delivered = true;
    }
    if (this.pendingInput.length === 0 && this.inputEnded && !this.endDelivered && q.pending() > 0) {
      q.pushUsed(q.pop()!.head, 0);
      this.endDelivered = true;
      delivered = true;
    }
    if (delivered) host.signalUsed(q);
  }
}
