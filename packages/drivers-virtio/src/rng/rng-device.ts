// virtio-rng device model (virtio 1.2 §5.4): one request queue; every buffer the driver posts
// is filled completely from the host's entropy source (the VMM passes its CSPRNG) and returned.
import type { Entropy } from '@osv-ts/kernel-api';
import type { DeviceModel, DeviceModelHost } from '../device/device-model.js';
import type { DeviceVirtqueue } from '../device/device-virtqueue.js';
import { DeviceId, Feature, bit } from '../mmio/registers.js';

export const RNG_REQUESTQ = 0;

export class VirtioRngDevice implements DeviceModel {
  readonly deviceId = DeviceId.Entropy;
  readonly deviceFeatures = bit(Feature.VERSION_1) | bit(Feature.EVENT_IDX) | bit(Feature.INDIRECT_DESC);
  readonly numQueues = 1;
  readonly configBytes = 0;
  readonly maxQueueSize = 64;
  readonly counters = { requests: 0, bytes: 0 };
  private host: DeviceModelHost | undefined;
  private queue: DeviceVirtqueue | undefined;
  /** Staging buffer: some CSPRNG APIs refuse views of a SharedArrayBuffer. */
  private staging = new Uint8Array(4096);

  constructor(
    readonly name: string,
    private readonly source: Entropy,
  ) {}

  readConfig(): number {
    return 0; // §5.4.4: no configuration space
  }

  activate(host: DeviceModelHost, _features: bigint, queues: readonly (DeviceVirtqueue | undefined)[]): void {
    this.host = host;
    this.queue = queues[RNG_REQUESTQ];
  }

  reset(): void {
    this.host = undefined;
    this.queue = undefined;
  }

  notify(index: number): void {
    const q = this.queue;
    const host = this.host;
    if (index !== RNG_REQUESTQ || !q || !host) return;
    let chain;
    let any = false;
    while ((chain = q.pop()) !== undefined) {
      for (const seg of chain.writable) {
        for (let at = 0; at < seg.length; at += this.staging.length) {
          const n = Math.min(this.staging.length, seg.length - at);
          const part = this.staging.subarray(0, n);
          this.source.fill(part);
          host.memory.slice(seg.address + at, n, 'virtio-rng buffer').set(part);
        }
      }
      this.counters.requests++;
      this.counters.bytes += chain.writableBytes;
      q.pushUsed(chain.head, chain.writableBytes);
      any = true;
    }
    if (any) host.signalUsed(q);
  }
}
