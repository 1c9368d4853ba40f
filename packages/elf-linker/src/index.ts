// @osv-ts/elf-linker: the program loader. WebAssembly module parsing and import resolution
// against the kernel's symbol table (src/wasm), and an ELF64 toolkit (src/elf).
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

export { parseElf } from './elf/elf-file.js';
export type { ElfFile } from './elf/elf-file.js';
export { ElfFormatError } from './elf/elf-format-error.js';
export {
  parseElfHeader,
  ELFCLASS32,
  ELFCLASS64,
  ELFDATA2LSB,
  ELFDATA2MSB,
  ET_REL,
  ET_EXEC,
  ET_DYN,
  ET_CORE,
  EM_386,
  EM_X86_64,
  EM_AARCH64,
  EM_RISCV,
} from './elf/elf-header.js';
export type { ElfHeader } from './elf/elf-header.js';
export {
  segmentTypeName,
  fileOffsetOfAddress,
  PT_NULL,
  PT_LOAD,
  PT_DYNAMIC,
  PT_INTERP,
  PT_NOTE,
  PT_PHDR,
  PT_TLS,
  PT_GNU_EH_FRAME,
  PT_GNU_STACK,
  PT_GNU_RELRO,
  PT_GNU_PROPERTY,
  PF_X,
  PF_W,
  PF_R,
} from './elf/program-header.js';
export type { ProgramHeader } from './elf/program-header.js';
export {
  sectionTypeName,
  SHT_NULL,
  SHT_PROGBITS,
  SHT_SYMTAB,
  SHT_STRTAB,
  SHT_RELA,
  SHT_HASH,
  SHT_DYNAMIC,
  SHT_NOTE,
  SHT_NOBITS,
  SHT_REL,
  SHT_DYNSYM,
  SHT_RELR,
  SHT_GNU_HASH,
  SHT_GNU_VERDEF,
  SHT_GNU_VERNEED,
  SHT_GNU_VERSYM,
  SHF_WRITE,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHF_TLS,
  SHN_UNDEF,
  SHN_ABS,
  SHN_COMMON,
  SHN_XINDEX,
} from './elf/section-header.js';
export type { SectionHeader } from './elf/section-header.js';
export { StringTable } from './elf/string-table.js';
export {
  symbolTypeName,
  symbolBindingName,
  symbolVisibilityName,
  symbolSectionIndexName,
  STB_LOCAL,
  STB_GLOBAL,
  STB_WEAK,
  STB_GNU_UNIQUE,
  STT_NOTYPE,
  STT_OBJECT,
  STT_FUNC,
  STT_SECTION,
  STT_FILE,
  STT_COMMON,
  STT_TLS,
  STT_GNU_IFUNC,
  STV_DEFAULT,
  STV_INTERNAL,
  STV_HIDDEN,
  STV_PROTECTED,
} from './elf/elf-symbol.js';
export type { ElfSymbol, SymbolTable as ElfSymbolTable } from './elf/elf-symbol.js';
export {
  dynamicFlagNames,
  dynamicFlags1Names,
  DT_NULL,
  DT_NEEDED,
  DT_STRTAB,
  DT_STRSZ,
  DT_SONAME,
  DT_RPATH,
  DT_RUNPATH,
  DT_FLAGS,
  DT_FLAGS_1,
  DF_BIND_NOW,
  DF_1_NOW,
  DF_1_PIE,
} from './elf/dynamic-section.js';
export type { DynamicEntry, DynamicSection } from './elf/dynamic-section.js';
export {
  gnuPropertyDescription,
  NT_GNU_ABI_TAG,
  NT_GNU_BUILD_ID,
  NT_GNU_PROPERTY_TYPE_0,
  GNU_PROPERTY_X86_FEATURE_1_AND,
  GNU_PROPERTY_X86_ISA_1_NEEDED,
} from './elf/elf-note.js';
export type { ElfNote, GnuProperty } from './elf/elf-note.js';
export type { TlsSegment } from './elf/tls-segment.js';
export { relocationTypeName } from './elf/relocation.js';
export type { Relocation, RelocationSection } from './elf/relocation.js';
export { sysvHash, gnuHash } from './elf/hash-table.js';
export type { SymbolHashTable } from './elf/hash-table.js';
export {
  symbolVersion,
  VER_NDX_LOCAL,
  VER_NDX_GLOBAL,
  VERSYM_HIDDEN,
  VER_FLG_BASE,
  VER_FLG_WEAK,
} from './elf/symbol-version.js';
export type {
  SymbolVersions,
  SymbolVersion,
  VersionDefinition,
  VersionNeed,
  VersionRequirement,
} from './elf/symbol-version.js';
