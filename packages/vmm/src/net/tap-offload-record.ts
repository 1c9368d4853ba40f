// The control record osv-tap-relay takes on its input stream (a length no frame has, then the
// TUN_F_* flags for TUNSETOFFLOAD): what the guest's driver accepts, as QEMU's tap_set_offload
// tells its TAP. TSO only with checksums (linux/if_tun.h).
import type { GuestOffloads } from '@osv-ts/drivers-virtio';

const CONTROL_RECORD = 0xffffffff;
const TUN_F_CSUM = 0x01;
const TUN_F_TSO4 = 0x02;
const TUN_F_TSO6 = 0x04;

export function tapOffloadRecord(offloads: GuestOffloads): Uint8Array {
  let flags = 0;
  if (offloads.checksum) {
    flags |= TUN_F_CSUM;
    if (offloads.tso4) flags |= TUN_F_TSO4;
    if (offloads.tso6) flags |= TUN_F_TSO6;
  }
  const record = new Uint8Array(8);
  const view = new DataView(record.buffer);
  view.setUint32(0, CONTROL_RECORD);
  view.setUint32(4, flags);
  return record;
}
