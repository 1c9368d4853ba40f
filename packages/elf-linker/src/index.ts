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
export { resolveImports, importsByModule, UnresolvedImportError } from './wasm/import-resolver.js';
export type { SymbolTable } from './wasm/import-resolver.js';
