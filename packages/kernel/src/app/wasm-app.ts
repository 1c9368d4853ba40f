// Loads and runs one WebAssembly (WASI preview1) app: parse, resolve its imports against the
// kernel's symbol table (libc's WASI binding), instantiate, call _start. The app runs on this
// thread's stack; its system calls are plain calls into libc. With a memory budget (the vm
// targets), the module's memory maximum is capped first (app-memory.ts), so memory.grow past
// the guest's RAM returns -1 and malloc returns NULL.
import { FormatError } from '@osv-ts/kernel-api';
import {
  MemoryCapError,
  capModuleMemory,
  parseWasmModule,
  resolveImports,
  UnresolvedImportError,
  type SymbolTable,
  type WasmModuleInfo,
} from '@osv-ts/elf-linker';
import { ProcessExit, WasiPreview1, type Preview1Extension, type Process } from '@osv-ts/libc';
import type { AppMemoryBudget } from './app-memory.js';

/** Exit statuses for failures before or outside the app's own exit (shell conventions). */
export const ExitStatus = {
  /** The program could not be executed (not wasm, unresolved import, no _start). */
  CANNOT_EXECUTE: 126,
  /** The program file does not exist. */
  NOT_FOUND: 127,
  /** The app trapped (like SIGABRT's 128 + 6, as wasmtime reports traps). */
  TRAP: 134,
} as const;

export interface AppResult {
  readonly status: number;
  /** Set when the app did not exit on its own: why (printed to the console by the caller). */
  readonly error?: string;
}

export interface WasmAppOptions {
  /** Extra WASI functions (file system, sockets) from other kernel modules, with their error maps. */
  readonly extensions?: readonly { extension: Preview1Extension; mapError?: (e: unknown) => number | undefined }[];
  /** Extra import modules beyond wasi_snapshot_preview1. */
  readonly symbols?: SymbolTable;
  /** Called after the app is compiled and linked, just before _start (the end of boot). */
  readonly beforeStart?: () => void;
  /** Guest RAM the app's memory may take (absent: no cap beyond the engine's own). */
  readonly memory?: AppMemoryBudget;
}

/**
 * Runs `program` as a WASI command. A compiled `WebAssembly.Module` is instantiated as it is (no
 * recompilation); its memory limits are compiled in, so it cannot be held to a RAM budget.
 */
export function runWasmApp(
  path: string,
  program: Uint8Array | WebAssembly.Module,
  process: Process,
  options: WasmAppOptions = {},
): AppResult {
  let module: WebAssembly.Module | undefined;
  let code: Uint8Array | undefined;
  const wasi = new WasiPreview1(process);
  for (const e of options.extensions ?? []) wasi.extend(e.extension, e.mapError);
  let imports: WebAssembly.Imports;
  let importedMemory: WebAssembly.Memory | undefined;
  try {
    const symbols: SymbolTable = { ...options.symbols, wasi_snapshot_preview1: wasi.imports() };
    let info: WasmModuleInfo;
    if (program instanceof WebAssembly.Module) {
      info = compiledModuleInfo(program);
      const why = options.memory
        ? 'it cannot be held to the guest RAM budget (its memory limits are compiled in)'
        : info.imports.some((i) => i.kind === 'memory')
          ? 'it imports its memory, whose limits only its bytes declare'
          : undefined;
      if (why !== undefined)
        return {
          status: ExitStatus.CANNOT_EXECUTE,
          error: `${path}: a compiled WebAssembly.Module: ${why}; pass its bytes`,
        };
      module = program;
    } else {
      info = parseWasmModule(program);
      code = program;
      if (options.memory) {
        const capped = capModuleMemory(program, info, options.memory.capPages);
        code = capped.bytes;
        if (capped.memory.kind !== 'none') options.memory.admit(capped.memory.limits);
        if (capped.memory.kind === 'imported') {
          const { minPages, maxPages, shared } = capped.memory.limits;
          importedMemory = new WebAssembly.Memory({ initial: minPages, maximum: maxPages!, shared });
          symbols[capped.memory.module] = { ...symbols[capped.memory.module], [capped.memory.name]: importedMemory };
        }
      }
    }
    imports = resolveImports(info, symbols);
    if (!info.exports.some((e) => e.name === '_start' && e.kind === 'function')) {
      return {
        status: ExitStatus.CANNOT_EXECUTE,
        error: `${path}: the module exports no _start function (not a WASI command)`,
      };
    }
    module ??= new WebAssembly.Module(code as Uint8Array<ArrayBuffer>); // once the imports resolve
  } catch (e) {
    if (e instanceof MemoryCapError)
      return {
        status: ExitStatus.CANNOT_EXECUTE,
        error: `${path}: cannot start: ${e.message} (guest RAM left after the kernel; give the VM more with -m)`,
      };
    if (e instanceof FormatError)
      return { status: ExitStatus.CANNOT_EXECUTE, error: `${path}: not a valid WebAssembly module: ${e.message}` };
    if (e instanceof UnresolvedImportError)
      return { status: ExitStatus.CANNOT_EXECUTE, error: `${path}: ${e.message}` };
    if (e instanceof WebAssembly.CompileError)
      return { status: ExitStatus.CANNOT_EXECUTE, error: `${path}: invalid WebAssembly: ${e.message}` };
    throw e;
  }
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, imports);
  } catch (e) {
    if (e instanceof WebAssembly.LinkError)
      return { status: ExitStatus.CANNOT_EXECUTE, error: `${path}: link error: ${e.message}` };
    if (e instanceof ProcessExit) return { status: e.status };
    return trapOrThrow(path, e);
  }
  const exported = instance.exports['memory'];
  const memory = exported instanceof WebAssembly.Memory ? exported : importedMemory;
  if (memory) {
    wasi.memory.attach(memory);
    options.memory?.attach(memory);
  }
  options.beforeStart?.();
  try {
    (instance.exports['_start'] as () => void)();
    return { status: 0 };
  } catch (e) {
    if (e instanceof ProcessExit) return { status: e.status };
    return trapOrThrow(path, e);
  }
}

function trapOrThrow(path: string, e: unknown): AppResult {
  if (e instanceof WebAssembly.RuntimeError)
    return { status: ExitStatus.TRAP, error: `${path}: app trapped: ${e.message}` };
  if (e instanceof RangeError && /call stack/i.test(e.message))
    return { status: ExitStatus.TRAP, error: `${path}: app trapped: stack overflow` };
  throw e;
}

/** What linking needs of a compiled module: its imports and exports, as the engine reports them. */
function compiledModuleInfo(module: WebAssembly.Module): WasmModuleInfo {
  return {
    version: 1,
    types: [],
    imports: WebAssembly.Module.imports(module).map((i) => ({ module: i.module, name: i.name, kind: i.kind })),
    exports: WebAssembly.Module.exports(module).map((e, index) => ({ name: e.name, kind: e.kind, index })),
    memories: [],
    customSections: [],
  };
}
