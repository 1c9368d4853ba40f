// @osv-ts/elf-linker: the program loader. WebAssembly module parsing and import resolution
// against the kernel's symbol table (an ELF64 toolkit comes later).
export { parseWasmModule } from './wasm/wasm-module-info.js';
export type {
  WasmModuleInfo,
  WasmImport,
  WasmExport,
  MemoryLimits,
  FuncType,
  ExternKind,
} from './wasm/wasm-module-info.js';
export { capModuleMemory, MemoryCapError, WASM_PAGE_BYTES, MAX_MEMORY32_PAGES } from './wasm/memory-cap.js';
export type { AppMemory, CappedModule } from './wasm/memory-cap.js';
export { resolveImports, importsByModule, UnresolvedImportError } from './wasm/import-resolver.js';
export type { SymbolTable } from './wasm/import-resolver.js';
