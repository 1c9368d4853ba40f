// The entry of a device thread (a Worker): builds the device model and back-end the VMM
// described, runs the service loop over the device's window in guest RAM until asked to stop,
// then reports its counters.
import { parentPort, workerData } from 'node:worker_threads';
import { raiseGuestInterrupt } from '@osv-ts/kernel-api';
import { GuestMemory, type InterruptLine } from '@osv-ts/drivers-virtio';
import { buildDevice } from './device-factory.js';
import type { DeviceSpec } from './device-spec.js';
import { DeviceServiceLoop } from './device-service-loop.js';
import { ControlBlock } from './thread-control.js';

export interface DeviceThreadData {
  readonly ram: SharedArrayBuffer;
  readonly control: SharedArrayBuffer;
  readonly spec: DeviceSpec;
  readonly baseAddress: number;
  readonly irq: number;
  readonly maxPollUs: number;
  /** A NIC's receive ring (its reader thread fills it). */
  readonly netRing?: SharedArrayBuffer;
}

/** What the thread posts: once when it is ready, once with its counters when it stops. */
export type DeviceThreadMessage =
  { readonly kind: 'ready' } | { readonly kind: 'stopped'; readonly counters: Record<string, number> };

const data = workerData as DeviceThreadData;
const memory = new GuestMemory(data.ram);
const words = memory.words;
// irqfd: mark the line pending, bump the vCPU's wake sequence, wake it if it sleeps.
const line: InterruptLine = { raise: () => raiseGuestInterrupt(words, data.irq) };
const { device, backend } = buildDevice(data.spec, data.netRing);
const loop = new DeviceServiceLoop(
  memory,
  new ControlBlock(data.control),
  device,
  data.baseAddress,
  line,
  data.maxPollUs,
  backend,
);
parentPort?.postMessage({ kind: 'ready' } satisfies DeviceThreadMessage);
loop.run();
backend?.close();
parentPort?.postMessage({
  kind: 'stopped',
  counters: { ...loop.counters, ...(device.counters ?? {}), ...(backend?.counters ?? {}) },
} satisfies DeviceThreadMessage);
