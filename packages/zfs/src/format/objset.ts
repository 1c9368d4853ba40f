// objset_phys_t (reference §6.1): meta-dnode, ZIL header, type, flags, user/group-used dnodes.
import { formatError, u64, u64n } from './bytes.js';
import { decodeBlkptr, isHole, type Blkptr } from './blkptr.js';
import { decodeDnode, type Dnode } from './dnode.js';

export const OBJSET_PHYS_SIZE = 2048;
export const OBJSET_PHYS_SIZE_V14 = 1024;
export const DMU_OST = { NONE: 0, META: 1, ZFS: 2, ZVOL: 3 } as const;
export const OBJSET_FLAG_USERACCOUNTING_COMPLETE = 1n;

export interface ObjsetPhys {
  readonly metaDnode: Dnode;
  readonly zilLog: Blkptr;
  readonly zilClaimTxg: number;
  readonly type: number;
  readonly flags: bigint;
  readonly userUsed: Dnode | null;
  readonly groupUsed: Dnode | null;
}

export function decodeObjsetPhys(buf: Uint8Array, le: boolean): ObjsetPhys {
  if (buf.length < OBJSET_PHYS_SIZE_V14) throw formatError('objset_phys', 0, `block of ${buf.length} bytes too small`);
  const big = buf.length >= OBJSET_PHYS_SIZE;
  const type = u64n(buf, 704, le, 'objset_phys.os_type');
  if (type > 3) throw formatError('objset_phys.os_type', 704, `unknown type ${type}`);
  return {
    metaDnode: decodeDnode(buf, 0, le),
    zilClaimTxg: u64n(buf, 512, le, 'zil_header.zh_claim_txg'),
    zilLog: decodeBlkptr(buf, 512 + 16, le),
    type,
    flags: u64(buf, 712, le, 'objset_phys.os_flags'),
    userUsed: big ? decodeDnode(buf, 1024, le) : null,
    groupUsed: big ? decodeDnode(buf, 1536, le) : null,
  };
}

/** True when the objset has intent-log blocks that a mount must replay (or refuse). */
export function hasZil(os: ObjsetPhys): boolean {
  return !isHole(os.zilLog) && os.zilLog.birth !== 0;
}
