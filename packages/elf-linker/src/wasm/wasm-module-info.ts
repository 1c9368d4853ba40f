// A structural parse of a WebAssembly binary (WebAssembly core spec §5.5 "Modules"): enough to
// link it against the kernel — its imports, exports, memories — without compiling it. Every
// section size, vector count and string length is checked against the bytes; a bad file is a
// FormatError naming the field and offset.
import { FormatError } from '@osv-ts/kernel-api';
import { WasmReader as Reader } from './wasm-reader.js';

export type ExternKind = 'function' | 'table' | 'memory' | 'global' | 'tag';

export interface WasmImport {
  readonly module: string;
  readonly name: string;
  readonly kind: ExternKind;
  /** Function imports: the type index; memories: the limits. */
  readonly typeIndex?: number;
  readonly memory?: MemoryLimits;
}

export interface WasmExport {
  readonly name: string;
  readonly kind: ExternKind;
  readonly index: number;
}

export interface MemoryLimits {
  readonly minPages: number;
  readonly maxPages?: number;
  readonly shared: boolean;
  readonly memory64: boolean;
}

export interface FuncType {
  readonly params: number[];
  readonly results: number[];
}

export interface WasmModuleInfo {
  readonly version: number;
  readonly types: FuncType[];
  readonly imports: WasmImport[];
  readonly exports: WasmExport[];
  readonly memories: MemoryLimits[];
  /** Custom section names, in order. */
  readonly customSections: string[];
}

const KINDS: ExternKind[] = ['function', 'table', 'memory', 'global', 'tag'];

/** Parses the module's structure; throws FormatError on anything malformed. */
export function parseWasmModule(bytes: Uint8Array): WasmModuleInfo {
  if (bytes.length < 8)
    throw new FormatError('wasm', 'header', 0, `file is ${bytes.length} bytes, too short to be WebAssembly`);
  if (bytes[0] !== 0x00 || bytes[1] !== 0x61 || bytes[2] !== 0x73 || bytes[3] !== 0x6d) {
    throw new FormatError('wasm', 'magic', 0, 'not a WebAssembly module (missing \\0asm magic)');
  }
  const version = bytes[4]! | (bytes[5]! << 8) | (bytes[6]! << 16) | (bytes[7]! << 24);
  if (version !== 1)
    throw new FormatError('wasm', 'version', 4, `version ${version} (only 1 is supported; components are not modules)`);
  const info: WasmModuleInfo = { version, types: [], imports: [], exports: [], memories: [], customSections: [] };
  const top = new Reader(bytes, 8, bytes.length);
  let lastId = 0;
  while (top.pos < top.end) {
    const id = top.u8('section id');
    const size = top.u32('section size');
    if (size > top.end - top.pos)
      top.fail('section size', `section ${id} of ${size} bytes runs past the end of the file`);
    const r = new Reader(bytes, top.pos, top.pos + size);
    if (id !== 0) {
      if (id > 13) r.fail('section id', `unknown section id ${id}`);
      // §5.5.2: non-custom sections appear at most once and in order (12 datacount sits before code, 13 tag after memory).
      const order = [0, 1, 2, 3, 4, 5, 7, 8, 9, 10, 12, 13, 11, 6][id]!;
      if (order <= lastId) r.fail('section order', `section ${id} out of order or repeated`);
      lastId = order;
    }
    switch (id) {
      case 0:
        info.customSections.push(r.name('custom section name'));
        break;
      case 1:
        readTypes(r, info);
        break;
      case 2:
        readImports(r, info);
        break;
      case 5: {
        const n = r.count('memory count', 2);
        for (let i = 0; i < n; i++) info.memories.push(r.limits('memory'));
        break;
      }
      case 7:
        readExports(r, info);
        break;
      default:
        break;
    }
    if (id !== 0 && [1, 2, 5, 7].includes(id) && r.pos !== r.end)
      r.fail('section size', `section ${id} has ${r.end - r.pos} trailing bytes`);
    top.pos += size;
  }
  return info;
}

function readTypes(r: Reader, info: WasmModuleInfo): void {
  const n = r.count('type count', 3);
  for (let i = 0; i < n; i++) {
    const form = r.u8('type form');
    if (form !== 0x60)
      r.fail('type form', `expected func type 0x60, got 0x${form.toString(16)} (GC types are not supported)`);
    const params: number[] = [];
    const results: number[] = [];
    const np = r.count('param count', 1);
    for (let j = 0; j < np; j++) params.push(r.u8('param type'));
    const nr = r.count('result count', 1);
    for (let j = 0; j < nr; j++) results.push(r.u8('result type'));
    info.types.push({ params, results });
  }
}

function readImports(r: Reader, info: WasmModuleInfo): void {
  const n = r.count('import count', 4);
  for (let i = 0; i < n; i++) {
    const module = r.name('import module');
    const name = r.name('import name');
    const kindByte = r.u8('import kind');
    const kind = KINDS[kindByte];
    if (!kind) r.fail('import kind', `unknown import kind ${kindByte}`);
    switch (kind) {
      case 'function': {
        const typeIndex = r.u32('import type index');
        if (typeIndex >= info.types.length)
          r.fail('import type index', `type ${typeIndex} does not exist (${info.types.length} types)`);
        info.imports.push({ module, name, kind, typeIndex });
        break;
      }
      case 'table':
        r.u8('table element type');
        r.limits('table');
        info.imports.push({ module, name, kind });
        break;
      case 'memory': {
        const memory = r.limits('memory');
        info.imports.push({ module, name, kind, memory });
        break;
      }
      case 'global':
        r.u8('global type');
        r.u8('global mutability');
        info.imports.push({ module, name, kind });
        break;
      case 'tag':
        r.u8('tag attribute');
        r.u32('tag type index');
        info.imports.push({ module, name, kind });
        break;
    }
  }
}

function readExports(r: Reader, info: WasmModuleInfo): void {
  const n = r.count('export count', 3);
  const seen = new Set<string>();
  for (let i = 0; i < n; i++) {
    const name = r.name('export name');
    if (seen.has(name)) r.fail('export name', `duplicate export '${name}'`);
    seen.add(name);
    const kindByte = r.u8('export kind');
    const kind = KINDS[kindByte];
    if (!kind) r.fail('export kind', `unknown export kind ${kindByte}`);
    info.exports.push({ name, kind, index: r.u32('export index') });
  }
}
