// The TLS segment, PT_TLS (gABI ch. 5, "Thread-Local Storage"; U. Drepper, "ELF Handling For
// Thread-Local Storage" §2 and §3.4.6). The initialization image is the segment's file part
// (p_filesz bytes), followed by zeros up to p_memsz. For the executable's own block the offset from
// the thread pointer is fixed at link time: x86-64 uses TLS variant II (block just below the TCB,
// x86-64 psABI §3.4.6), AArch64 variant I (block after a 16-byte TCB, AArch64 ELF ABI "TLS").
import { ElfFormatError } from './elf-format-error.js';
import { EM_AARCH64 } from './elf-header.js';
import { PT_TLS } from './program-header.js';
import type { ProgramHeader } from './program-header.js';

export interface TlsSegment {
  readonly vaddr: bigint;
  readonly fileOffset: bigint;
  /** The initialization image's size (p_filesz). */
  readonly initBytes: bigint;
  /** The whole block's size, image plus zero fill (p_memsz). */
  readonly blockBytes: bigint;
  readonly align: bigint;
  /** Offset of the executable's TLS block from the thread pointer (negative below it). */
  readonly tpOffset: bigint;
}

export function parseTlsSegment(phdrs: readonly ProgramHeader[], machine: number): TlsSegment | undefined {
  const tls = phdrs.filter((p) => p.type === PT_TLS);
  if (tls.length === 0) return undefined;
  if (tls.length > 1) throw new ElfFormatError('PT_TLS', 0, `${tls.length} PT_TLS segments (at most one is allowed)`);
  const p = tls[0]!;
  if (p.filesz > p.memsz)
    throw new ElfFormatError('PT_TLS p_filesz', 0, `p_filesz ${p.filesz} exceeds p_memsz ${p.memsz}`);
  const align = p.align === 0n ? 1n : p.align;
  if ((align & (align - 1n)) !== 0n)
    throw new ElfFormatError('PT_TLS p_align', 0, `p_align ${p.align} is not a power of two`);
  const up = (n: bigint): bigint => ((n + align - 1n) / align) * align;
  const tpOffset = machine === EM_AARCH64 ? up(16n) : -up(p.memsz);
  return { vaddr: p.vaddr, fileOffset: p.offset, initBytes: p.filesz, blockBytes: p.memsz, align: p.align, tpOffset };
}
