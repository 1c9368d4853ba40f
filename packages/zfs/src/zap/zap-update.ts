// Changing a ZAP of u64 values held by an ObjsetWriter (zap_add / zap_remove, done as a
// rebuild): the committed entries are read, changed, and the object's contents replaced by a
// new ZAP with the same salt (reference §7). Only for ZAPs not changed earlier in the same txg.
import { ENOTSUP, Errno, KernelError } from '@osv-ts/kernel-api';
import type { ObjsetWriter } from '../dmu/objset-writer.js';
import { buildZap } from '../write/zap-builder.js';
import { ZapReader } from './zap-reader.js';

export function updateZap(os: ObjsetWriter, obj: number, change: (entries: Map<string, bigint>) => void): void {
  if (os.dirty.get(obj)?.blocks.size) throw new KernelError(Errno.EBUSY, `ZAP ${obj} already changed in this txg`);
  const z = ZapReader.open(os.committed, obj);
  const entries = new Map<string, bigint>();
  for (const e of z.entries()) {
    if (e.intLen !== 8 || e.values.length !== 1)
      throw new KernelError(ENOTSUP, `ZAP ${obj} entry ${e.name} is not one u64`);
    entries.set(e.name, e.values[0]!);
  }
  change(entries);
  const built = buildZap(
    [...entries].map(([name, value]) => ({ name, value })),
    z.salt,
    z.shape,
  );
  os.replace(obj, built.data, built.blockSize);
}
