// Caps a module's linear memory at load, so that `memory.grow` past the cap returns -1 (and
// malloc returns NULL) instead of taking host memory the guest was never given (core spec
// §4.4.7.5 memory.grow: "fails if the new size exceeds the maximum"; §5.3.8 limits).
//  - A module that defines its memory gets its memory section rewritten: the limits' maximum
//    becomes min(declared maximum, cap). The rewrite copies the module once; a module whose
//    declared maximum already fits is returned as is (same bytes, no copy).
//  - A module that imports its memory is not touched: the caller creates the memory with the
//    returned limits (an imported memory may have a smaller maximum than the import declares,
//    §4.5.4 "import subtyping", but not a larger one).
// A minimum above the cap cannot run at all and is a MemoryCapError. More than one memory
// (multi-memory) is refused: the cap is a budget for the app, not per memory.
import { FormatError } from '@osv-ts/kernel-api';
import type { MemoryLimits, WasmModuleInfo } from './wasm-module-info.js';
import { WasmReader } from './wasm-reader.js';

/** WebAssembly page size (core spec §4.2.8: a page is 64 KiB). */
export const WASM_PAGE_BYTES = 65536;
/** Pages a 32-bit memory can address (§4.2.8: 2^16 pages = 4 GiB). */
export const MAX_MEMORY32_PAGES = 65536;

export class MemoryCapError extends Error {
  override readonly name = 'MemoryCapError';
  constructor(
    message: string,
    /** Pages the module needs at start (its minimum), when that is what failed. */
    readonly minPages?: number,
    readonly capPages?: number,
  ) {
    super(message);
  }
}

export type AppMemory =
  | { readonly kind: 'none' }
  | { readonly kind: 'defined'; readonly limits: MemoryLimits }
  | { readonly kind: 'imported'; readonly module: string; readonly name: string; readonly limits: MemoryLimits };

export interface CappedModule {
  /** The module to compile: `bytes` itself when nothing had to change. */
  readonly bytes: Uint8Array;
  /** The app's memory after the cap (for an import: the limits to create it with). */
  readonly memory: AppMemory;
  readonly rewritten: boolean;
}

/**
 * Applies a cap of `capPages` pages to the module's memory. `info` is parseWasmModule(bytes)
 * (the caller has it already; the section is located again here, which reads only headers).
 */
export function capModuleMemory(bytes: Uint8Array, info: WasmModuleInfo, capPages: number): CappedModule {
  if (!Number.isSafeInteger(capPages) || capPages < 0) throw new RangeError(`memory cap of ${capPages} pages`);
  const imported = info.imports.filter((i) => i.kind === 'memory');
  const count = imported.length + info.memories.length;
  if (count === 0) return { bytes, memory: { kind: 'none' }, rewritten: false };
  if (count > 1) throw new MemoryCapError(`the module declares ${count} memories; osv-ts runs apps with one`);
  const declared = imported[0]?.memory ?? info.memories[0]!;
  const addressable = declared.memory64 ? Number.MAX_SAFE_INTEGER : MAX_MEMORY32_PAGES;
  const maxPages = Math.min(declared.maxPages ?? addressable, capPages);
  if (declared.minPages > maxPages) {
    throw new MemoryCapError(
      `the module needs ${mib(declared.minPages)} of memory at start, more than the ${mib(capPages)} it may have`,
      declared.minPages,
      capPages,
    );
  }
  const limits: MemoryLimits = { ...declared, maxPages };
  const imp = imported[0];
  if (imp) return { bytes, memory: { kind: 'imported', module: imp.module, name: imp.name, limits }, rewritten: false };
  if (declared.maxPages !== undefined && declared.maxPages <= capPages)
    return { bytes, memory: { kind: 'defined', limits }, rewritten: false };
  return { bytes: withMemorySection(bytes, limits), memory: { kind: 'defined', limits }, rewritten: true };
}

function mib(pages: number): string {
  return `${(pages * WASM_PAGE_BYTES) / 1024 / 1024} MiB`;
}

/** The module with its memory section (id 5) replaced by one memory of `limits`. */
function withMemorySection(bytes: Uint8Array, limits: MemoryLimits): Uint8Array {
  const top = new WasmReader(bytes, 8, bytes.length);
  while (top.pos < top.end) {
    const start = top.pos;
    const id = top.u8('section id');
    const size = top.u32('section size');
    const end = top.pos + size;
    if (id === 5) {
      const content = encodeLimitsVector(limits);
      const header = [5, ...leb128(content.length)];
      const out = new Uint8Array(start + header.length + content.length + (bytes.length - end));
      out.set(bytes.subarray(0, start));
      out.set(header, start);
      out.set(content, start + header.length);
      out.set(bytes.subarray(end), start + header.length + content.length);
      return out;
    }
    top.pos = end;
  }
  throw new FormatError('wasm', 'memory section', bytes.length, 'no memory section, though one memory was parsed');
}

/** §5.5.8 memsec: vec(mem) with one memtype; §5.3.8 limits with the maximum present. */
function encodeLimitsVector(l: MemoryLimits): number[] {
  const flags = 0x01 | (l.shared ? 0x02 : 0) | (l.memory64 ? 0x04 : 0);
  return [1, flags, ...leb128(l.minPages), ...leb128(l.maxPages!)];
}

/** Unsigned LEB128 (§5.2.2) of a safe integer, by arithmetic (values may exceed 2^32). */
function leb128(value: number): number[] {
  const out: number[] = [];
  let v = value;
  do {
    const byte = v % 128;
    v = Math.floor(v / 128);
    out.push(v > 0 ? byte | 0x80 : byte);
  } while (v > 0);
  return out;
}
