// What a device thread is told to build: a description that crosses to the worker as plain
// data (postMessage's structured clone), naming the device model, its options and a host
// back-end by open file descriptor (descriptors are per process, so the thread uses the very
// file the VMM opened and locked). Devices whose back-end cannot move (memory disks, callback
// fault plans, test pairs, passt's socket) have no spec and stay on the VMM's thread.
import {
  FaultInjectingBackend,
  FaultRanges,
  VirtioBlkDevice,
  VirtioFsDevice,
  VirtioNetDevice,
} from '@osv-ts/drivers-virtio';
import type { BlockBackend, DeviceModel, FaultRange, VirtioBlkOptions, VirtioNetOptions } from '@osv-ts/drivers-virtio';
import { RawFileBackend } from '../blk/raw-file-backend.js';
import { Qcow2Backend } from '../blk/qcow2/qcow2-backend.js';
import { NodeImageFile } from '../blk/image-file.js';
import { DirectFileBackend } from '../blk/direct-file-backend.js';
import { NodeFsBackend, type NodeFsBackendOptions } from '../virtiofs/node-fs-backend.js';
import { TapBackend } from '../net/tap-backend.js';
import type { TapFifoSpec } from '../net/threaded-tap-backend.js';

export type BlockBackendSpec =
  | { readonly kind: 'raw'; readonly path: string; readonly fd: number; readonly readOnly: boolean }
  | { readonly kind: 'qcow2'; readonly path: string; readonly fd: number; readonly readOnly: boolean }
  | { readonly kind: 'fault-injecting'; readonly inner: BlockBackendSpec; readonly ranges: readonly FaultRange[] };

export interface BlkDeviceSpec {
  readonly kind: 'virtio-blk';
  readonly name: string;
  readonly options: VirtioBlkOptions;
  readonly backend: BlockBackendSpec;
}

/** A virtio-fs share: the thread opens the directory itself (its own node descriptors). */
export interface FsDeviceSpec {
  readonly kind: 'virtio-fs';
  readonly name: string;
  readonly tag: string;
  readonly root: string;
  readonly options: NodeFsBackendOptions;
}

/** A NIC on a TAP whose relay talks through FIFOs (TapBackend `threaded`). */
export interface NetDeviceSpec {
  readonly kind: 'virtio-net';
  readonly name: string;
  readonly options: VirtioNetOptions;
  readonly backend: TapFifoSpec;
}

export type DeviceSpec = BlkDeviceSpec | FsDeviceSpec | NetDeviceSpec;

/** The spec of a device that can run on a thread of its own, or undefined. */
export function deviceThreadSpec(device: DeviceModel): DeviceSpec | undefined {
  if (device instanceof VirtioBlkDevice) {
    const backend = blockBackendSpec(device.backend);
    return backend && { kind: 'virtio-blk', name: device.name, options: device.options, backend };
  }
  if (device instanceof VirtioFsDevice && device.backend instanceof NodeFsBackend)
    return {
      kind: 'virtio-fs',
      name: device.name,
      tag: device.tag,
      root: device.backend.root,
      options: device.backend.options,
    };
  if (device instanceof VirtioNetDevice && device.backend instanceof TapBackend && device.backend.fifos) {
    const { dir: _dir, ...fifo } = device.backend.fifos;
    return { kind: 'virtio-net', name: device.name, options: device.options, backend: fifo };
  }
  return undefined;
}

function blockBackendSpec(b: BlockBackend): BlockBackendSpec | undefined {
  if (b instanceof RawFileBackend || b instanceof DirectFileBackend)
    return { kind: 'raw', path: b.path, fd: b.fd, readOnly: b.readOnly };
  if (b instanceof Qcow2Backend && b.image.file instanceof NodeImageFile)
    return { kind: 'qcow2', path: b.image.file.path, fd: b.image.file.fd, readOnly: b.readOnly };
  if (b instanceof FaultInjectingBackend && b.plan instanceof FaultRanges) {
    const inner = blockBackendSpec(b.inner);
    return inner && { kind: 'fault-injecting', inner, ranges: b.plan.ranges };
  }
  return undefined;
}
