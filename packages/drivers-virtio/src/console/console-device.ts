// virtio-console device model (virtio 1.2 §5.3) for the VMM: port 0 only (no MULTIPORT).
// transmitq bytes go to a host sink (stdout, stderr, a test buffer) in order; receiveq buffers
// are filled from host input as it arrives. When the host output fails for good (a closed pipe,
// a full disk), the device tells the guest with an osv-ts extension, OSV_CONSOLE_F_TX_ERROR:
// the errno in config space after the standard fields, announced by a configuration-change
// interrupt (§2.5.2), so the guest's write() can fail as it would on Unix.
import type { DeviceModel, DeviceModelHost } from '../device/device-model.js';
import type { DeviceVirtqueue } from '../device/device-virtqueue.js';
import { DeviceId, Feature, bit } from '../mmio/registers.js';

export const CONSOLE_RECEIVEQ = 0;
export const CONSOLE_TRANSMITQ = 1;
/** §5.3.3 feature bits. */
export const VIRTIO_CONSOLE_F_SIZE = 0n;
/**
 * osv-ts extension: config offset CONSOLE_TX_ERROR_OFFSET holds a le32 Linux errno, non-zero once
 * the host could not deliver output. Bit 23 is the last device-specific bit (§6); the standard
 * console features use 0–2, so no standard device offers it and a standard driver ignores it.
 */
export const OSV_CONSOLE_F_TX_ERROR = 23n;
/** §5.3.4's struct virtio_console_config is 12 bytes; the extension's le32 follows it. */
export const CONSOLE_TX_ERROR_OFFSET = 12;
const CONFIG_BYTES = 16;

export interface ConsoleSink {
  /** Receives output bytes; must copy them before returning (they live in guest RAM). */
  write(bytes: Uint8Array): void;
  /**
   * Linux errno once the host output has failed for good (EPIPE: the reader is gone; ENOSPC,
   * EIO: the file cannot take more); undefined while output is delivered.
   */
  readonly errno?: number | undefined;
}

export class VirtioConsoleDevice implements DeviceModel {
  readonly deviceId = DeviceId.Console;
  readonly deviceFeatures =
    bit(Feature.VERSION_1) |
    bit(Feature.EVENT_IDX) |
    bit(Feature.INDIRECT_DESC) |
    bit(VIRTIO_CONSOLE_F_SIZE) |
    bit(OSV_CONSOLE_F_TX_ERROR);
  readonly numQueues = 2;
  readonly configBytes = CONFIG_BYTES;
  readonly maxQueueSize = 256;
  readonly counters = { txBytes: 0, txChains: 0, rxBytes: 0, rxChains: 0, txDroppedBytes: 0 };
  private host: DeviceModelHost | undefined;
  private queues: readonly (DeviceVirtqueue | undefined)[] = [];
  private readonly pendingInput: Uint8Array[] = [];
  /** Host input ended; after the pending bytes, one empty receive buffer tells the guest. */
  private inputEnded = false;
  private endDelivered = false;
  /** The errno the guest has been told (OSV_CONSOLE_F_TX_ERROR), 0 while output works. */
  private txError = 0;
  private txErrorNegotiated = false;

  constructor(
    readonly name: string,
    private readonly sink: ConsoleSink,
    private readonly columns = 80,
    private readonly rows = 25,
  ) {}

  readConfig(offset: number, size: number): number {
    // §5.3.4: struct virtio_console_config { le16 cols; le16 rows; le32 max_nr_ports; le32 emerg_wr; }
    // then osv-ts's le32 tx_error.
    const config = new DataView(new ArrayBuffer(CONFIG_BYTES));
    config.setUint16(0, this.columns, true);
    config.setUint16(2, this.rows, true);
    config.setUint32(4, 1, true);
    config.setUint32(CONSOLE_TX_ERROR_OFFSET, this.txError, true);
    if (offset < 0 || offset + size > CONFIG_BYTES) return 0;
    return size === 1
      ? config.getUint8(offset)
      : size === 2
        ? config.getUint16(offset, true)
        : config.getUint32(offset, true);
  }

  activate(host: DeviceModelHost, features: bigint, queues: readonly (DeviceVirtqueue | undefined)[]): void {
    this.host = host;
    this.txErrorNegotiated = (features & bit(OSV_CONSOLE_F_TX_ERROR)) !== 0n;
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

  /** The errno reported to the guest (0: output has been delivered). */
  get outputErrno(): number {
    return this.txError;
  }

  private drainTransmit(): void {
    const host = this.host;
    const q = this.queues[CONSOLE_TRANSMITQ];
    if (!host || !q) return;
    let chain;
    while ((chain = q.pop()) !== undefined) {
      if (this.txError === 0) {
        for (const seg of chain.readable)
          this.sink.write(host.memory.slice(seg.address, seg.length, 'console transmit buffer'));
        this.counters.txBytes += chain.readableBytes;
        // Announce a failure before the chain is used: a driver that sees its buffer come back
        // can then already read why.
        if (this.sink.errno) this.reportTxError(host, this.sink.errno);
      } else {
        this.counters.txDroppedBytes += chain.readableBytes;
      }
      this.counters.txChains++;
      q.pushUsed(chain.head, 0);
    }
    host.signalUsed(q);
  }

  private reportTxError(host: DeviceModelHost, errno: number): void {
    this.txError = errno;
    if (this.txErrorNegotiated) host.signalConfigChange();
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
