// Vnode types (BSD <sys/vnode.h> `enum vtype`, which OSv keeps) and their mapping to the
// S_IF* bits of st_mode and the DT_* values of struct dirent (Linux <dirent.h>).

export const VType = {
  VNON: 0,
  VREG: 1,
  VDIR: 2,
  VBLK: 3,
  VCHR: 4,
  VLNK: 5,
  VSOCK: 6,
  VFIFO: 7,
} as const;
export type VType = (typeof VType)[keyof typeof VType];

// POSIX <sys/stat.h> file type bits (octal, as Linux defines them).
export const S_IFMT = 0o170000;
export const S_IFSOCK = 0o140000;
export const S_IFLNK = 0o120000;
export const S_IFREG = 0o100000;
export const S_IFBLK = 0o060000;
export const S_IFDIR = 0o040000;
export const S_IFCHR = 0o020000;
export const S_IFIFO = 0o010000;

// Linux <dirent.h> d_type values.
export const DT_UNKNOWN = 0;
export const DT_FIFO = 1;
export const DT_CHR = 2;
export const DT_DIR = 4;
export const DT_BLK = 6;
export const DT_REG = 8;
export const DT_LNK = 10;
export const DT_SOCK = 12;

const typeBits: readonly number[] = [0, S_IFREG, S_IFDIR, S_IFBLK, S_IFCHR, S_IFLNK, S_IFSOCK, S_IFIFO];
const dtypes: readonly number[] = [DT_UNKNOWN, DT_REG, DT_DIR, DT_BLK, DT_CHR, DT_LNK, DT_SOCK, DT_FIFO];

/** The S_IF* bits for a vnode type. */
export function vtypeToModeBits(type: VType): number {
  return typeBits[type] ?? 0;
}

/** The vnode type named by the S_IF* bits of `mode` (VNON when they name none). */
export function modeToVType(mode: number): VType {
  const bits = mode & S_IFMT;
  const i = typeBits.indexOf(bits);
  return (i <= 0 ? VType.VNON : i) as VType;
}

/** The DT_* value of struct dirent for a vnode type. */
export function vtypeToDirentType(type: VType): number {
  return dtypes[type] ?? DT_UNKNOWN;
}
