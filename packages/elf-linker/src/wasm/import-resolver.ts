// Binds a module's imports to the kernel's symbol table — the osv-ts counterpart of OSv's
// dynamic linker resolving an app's libc calls straight to kernel functions. An import the
// kernel does not provide is a LinkError that names it, before any code runs.
import type { WasmImport, WasmModuleInfo } from './wasm-module-info.js';

/** module name → symbol name → value (function, memory, global, table). */
export type SymbolTable = Record<string, Record<string, unknown>>;

export class UnresolvedImportError extends Error {
  override readonly name = 'UnresolvedImportError';
  constructor(readonly missing: readonly WasmImport[]) {
    super(
      `unresolved import${missing.length > 1 ? 's' : ''}: ` +
        missing.map((i) => `${i.module}.${i.name} (${i.kind})`).join(', '),
    );
  }
}

/** Returns the import object for WebAssembly.Instance, or throws UnresolvedImportError. */
export function resolveImports(info: WasmModuleInfo, symbols: SymbolTable): WebAssembly.Imports {
  const missing: WasmImport[] = [];
  const imports: Record<string, Record<string, unknown>> = {};
  for (const imp of info.imports) {
    const value = symbols[imp.module]?.[imp.name];
    if (value === undefined || !matchesKind(value, imp)) {
      missing.push(imp);
      continue;
    }
    (imports[imp.module] ??= {})[imp.name] = value;
  }
  if (missing.length > 0) throw new UnresolvedImportError(missing);
  return imports as WebAssembly.Imports;
}

function matchesKind(value: unknown, imp: WasmImport): boolean {
  switch (imp.kind) {
    case 'function':
      return typeof value === 'function';
    case 'memory':
      return value instanceof WebAssembly.Memory;
    case 'table':
      return value instanceof WebAssembly.Table;
    case 'global':
      return value instanceof WebAssembly.Global || typeof value === 'number' || typeof value === 'bigint';
    default:
      return false;
  }
}

/** The import modules a module uses and the function names it needs from each. */
export function importsByModule(info: WasmModuleInfo): Map<string, Set<string>> {
  const out = new Map<string, Set<string>>();
  for (const i of info.imports) {
    let s = out.get(i.module);
    if (!s) out.set(i.module, (s = new Set()));
    s.add(i.name);
  }
  return out;
}
