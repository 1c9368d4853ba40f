// System attributes (ZPL v5, reference §11): an sa_hdr_phys_t {magic, layout_info, lengths[]},
// then the attributes of the layout packed at 8-byte alignment (sa.c sa_attr_iter).
import { formatError, u16, u32 } from './bytes.js';

export const SA_MAGIC = 0x2f505a;

export interface SaRegistryEntry {
  readonly name: string;
  readonly num: number;
  /** 0 = variable length. */
  readonly length: number;
  readonly bswap: number;
}

export function decodeSaRegistryValue(name: string, v: bigint): SaRegistryEntry {
  return { name, num: Number(v & 0xffffn), bswap: Number((v >> 16n) & 0xffn), length: Number((v >> 24n) & 0xffffn) };
}

/** Attribute number → bytes, for one SA buffer (bonus or spill). */
export function decodeSaBuffer(
  buf: Uint8Array,
  layouts: ReadonlyMap<number, readonly number[]>,
  lengthOf: (attr: number) => number | undefined,
): Map<number, Uint8Array> {
  let le = true;
  if (u32(buf, 0, true, 'sa_hdr_phys.sa_magic') !== SA_MAGIC) {
    if (u32(buf, 0, false, 'sa_hdr_phys.sa_magic') !== SA_MAGIC)
      throw formatError('sa_hdr_phys.sa_magic', 0, 'bad magic');
    le = false;
  }
  const info = u16(buf, 4, le, 'sa_hdr_phys.sa_layout_info');
  const layoutNum = info & 0x3ff;
  const layout = layouts.get(layoutNum);
  if (!layout) throw formatError('sa_hdr_phys.sa_layout_info', 4, `unknown layout ${layoutNum}`);
  const varCount = layout.filter((a) => lengthOf(a) === 0).length;
  let at = (4 + 2 + 2 * varCount + 7) & ~7;
  let varIdx = 0;
  const out = new Map<number, Uint8Array>();
  for (const attr of layout) {
    const reg = lengthOf(attr);
    if (reg === undefined) throw formatError('sa_layout', 4, `attribute ${attr} not registered`);
    const len = reg !== 0 ? reg : u16(buf, 6 + 2 * varIdx++, le, 'sa_hdr_phys.sa_lengths');
    if (at + len > buf.length) throw formatError('sa_attr', at, `attribute ${attr} of ${len} bytes overruns buffer`);
    out.set(attr, buf.subarray(at, at + len));
    at = (at + len + 7) & ~7;
  }
  return out;
}
