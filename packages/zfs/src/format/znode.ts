// znode_phys_t (ZPL ≤ v4 bonus, 264 bytes, reference §9.2) and directory-entry values (§9.3).
import { formatError, putU32, putU64, u64, u64n } from './bytes.js';

export const ZNODE_PHYS_SIZE = 264;
export const S_IFMT = 0o170000;
export const S_IFIFO = 0o010000;
export const S_IFCHR = 0o020000;
export const S_IFDIR = 0o040000;
export const S_IFBLK = 0o060000;
export const S_IFREG = 0o100000;
export const S_IFLNK = 0o120000;
export const S_IFSOCK = 0o140000;

export interface Timespec {
  readonly sec: number;
  readonly nsec: number;
}

export interface ZnodeAttrs {
  readonly atime: Timespec;
  readonly mtime: Timespec;
  readonly ctime: Timespec;
  readonly crtime: Timespec;
  readonly gen: number;
  readonly mode: number;
  readonly size: number;
  readonly parent: number;
  readonly links: number;
  readonly xattr: number;
  readonly rdev: number;
  readonly flags: bigint;
  readonly uid: number;
  readonly gid: number;
}

export function decodeZnodePhys(bonus: Uint8Array, le: boolean): ZnodeAttrs {
  if (bonus.length < ZNODE_PHYS_SIZE)
    throw formatError('znode_phys', 0, `bonus of ${bonus.length} bytes < ${ZNODE_PHYS_SIZE}`);
  const n = (o: number, f: string): number => u64n(bonus, o, le, `znode_phys.${f}`);
  const t = (o: number, f: string): Timespec => ({ sec: n(o, f), nsec: n(o + 8, f) });
  return {
    atime: t(0, 'zp_atime'),
    mtime: t(16, 'zp_mtime'),
    ctime: t(32, 'zp_ctime'),
    crtime: t(48, 'zp_crtime'),
    gen: n(64, 'zp_gen'),
    mode: n(72, 'zp_mode'),
    size: n(80, 'zp_size'),
    parent: n(88, 'zp_parent'),
    links: n(96, 'zp_links'),
    xattr: n(104, 'zp_xattr'),
    rdev: n(112, 'zp_rdev'),
    flags: u64(bonus, 120, le, 'znode_phys.zp_flags'),
    uid: n(128, 'zp_uid'),
    gid: n(136, 'zp_gid'),
  };
}

// ACE access masks and flags for the trivial ACL (reference §9.2).
const ACE_OWNER = 0x1000;
const ACE_GROUP = 0x2040;
const ACE_EVERYONE = 0x4000;

/**
 * The 6-ACE trivial ACL zfs-fuse derives from a mode: deny/allow for owner@, group@, everyone@.
 * Deny ACEs carry the rwx bits the class lacks; the fixed extras match the [V] bytes of §9.2.
 */
export function trivialAcl(mode: number): { type: number; flags: number; mask: number }[] {
  const bits = (r: number): number => (r & 4 ? 0x1 : 0) | (r & 2 ? 0x6 : 0) | (r & 1 ? 0x20 : 0);
  const u = bits((mode >> 6) & 7),
    g = bits((mode >> 3) & 7),
    o = bits(mode & 7);
  return [
    { type: 1, flags: ACE_OWNER, mask: 0x27 & ~u },
    { type: 0, flags: ACE_OWNER, mask: u | 0x000c0110 },
    { type: 1, flags: ACE_GROUP, mask: 0x27 & ~g },
    { type: 0, flags: ACE_GROUP, mask: g },
    { type: 1, flags: ACE_EVERYONE, mask: 0x000c0110 | (0x27 & ~o) },
    { type: 0, flags: ACE_EVERYONE, mask: o | 0x00120088 },
  ];
}

export function encodeZnodePhys(buf: Uint8Array, offset: number, z: ZnodeAttrs): void {
  buf.fill(0, offset, offset + ZNODE_PHYS_SIZE);
  const p = (o: number, v: number | bigint): void => putU64(buf, offset + o, v);
  const t = (o: number, ts: Timespec): void => {
    p(o, ts.sec);
    p(o + 8, ts.nsec);
  };
  t(0, z.atime);
  t(16, z.mtime);
  t(32, z.ctime);
  t(48, z.crtime);
  p(64, z.gen);
  p(72, z.mode);
  p(80, z.size);
  p(88, z.parent);
  p(96, z.links);
  p(104, z.xattr);
  p(112, z.rdev);
  p(120, z.flags);
  p(128, z.uid);
  p(136, z.gid);
  // zfs_acl_phys_t at 176: inline ACEs, version 1 (FUID format).
  const aces = trivialAcl(z.mode & 0o777);
  putU32(buf, offset + 176 + 8, aces.length * 8);
  buf[offset + 176 + 12] = 1;
  buf[offset + 176 + 14] = aces.length;
  aces.forEach((a, i) => {
    const at = offset + 176 + 16 + i * 8;
    buf[at] = a.type;
    buf[at + 2] = a.flags & 0xff;
    buf[at + 3] = a.flags >> 8;
    putU32(buf, at + 4, a.mask);
  });
}

/** Directory entry value: type in bits 60–63 (IFTODT), object in bits 0–47. */
export function decodeDirent(value: bigint): { obj: number; dtype: number } {
  return { obj: Number(value & 0xffff_ffff_ffffn), dtype: Number(value >> 60n) };
}

export function encodeDirent(obj: number, mode: number): bigint {
  return (BigInt((mode & S_IFMT) >> 12) << 60n) | BigInt(obj);
}
