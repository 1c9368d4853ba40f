// The device thread's half of device-spec.ts: builds the device model and its back-end from
// the description the VMM sent. The descriptors are the VMM's; the thread never closes them.
import {
  FaultInjectingBackend,
  FaultRanges,
  VirtioBlkDevice,
  VirtioFsDevice,
  VirtioNetDevice,
} from '@osv-ts/drivers-virtio';
import type { BlockBackend, DeviceModel } from '@osv-ts/drivers-virtio';
import { DirectFileBackend } from '../blk/direct-file-backend.js';
import { NodeImageFile } from '../blk/image-file.js';
import { Qcow2Backend } from '../blk/qcow2/qcow2-backend.js';
import { Qcow2Image } from '../blk/qcow2/qcow2-image.js';
import { NodeFsBackend } from '../virtiofs/node-fs-backend.js';
import type { BlkDeviceSpec, BlockBackendSpec, DeviceSpec, FsDeviceSpec } from './device-spec.js';
import type { ThreadBackend } from './device-service-loop.js';
import { ThreadedTapBackend } from '../net/threaded-tap-backend.js';

/** A device model and the back-end hooks its thread's loop drives (a TAP's receive ring). */
export interface BuiltDevice {
  readonly device: DeviceModel;
  readonly backend?: ThreadBackend & { close(): void; readonly counters: Record<string, number> };
}

/** `netRing`: a NIC's receive ring, which its reader thread fills (DeviceThread). */
export function buildDevice(spec: DeviceSpec, netRing?: SharedArrayBuffer): BuiltDevice {
  if (spec.kind === 'virtio-net') {
    if (!netRing) throw new Error(`${spec.name}: a NIC's device thread needs its receive ring`);
    const backend = new ThreadedTapBackend(spec.backend, netRing);
    return { device: new VirtioNetDevice(spec.name, backend, spec.options), backend };
  }
  return { device: buildModel(spec) };
}

function buildModel(spec: BlkDeviceSpec | FsDeviceSpec): DeviceModel {
  switch (spec.kind) {
    case 'virtio-blk':
      return new VirtioBlkDevice(spec.name, buildBlockBackend(spec.backend), spec.options);
    case 'virtio-fs':
      return new VirtioFsDevice(spec.name, spec.tag, new NodeFsBackend(spec.root, spec.options));
  }
}

function buildBlockBackend(spec: BlockBackendSpec): BlockBackend {
  switch (spec.kind) {
    case 'raw':
      return new DirectFileBackend(spec.path, spec.fd, spec.readOnly);
    case 'qcow2':
      return new Qcow2Backend(Qcow2Image.open(NodeImageFile.fromFd(spec.path, spec.fd, spec.readOnly), spec.readOnly));
    case 'fault-injecting':
      return new FaultInjectingBackend(buildBlockBackend(spec.inner), new FaultRanges(spec.ranges));
  }
}
