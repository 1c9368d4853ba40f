// What a Linux ELF program needs from the C library, found as ld.so would find it: the DT_NEEDED
// closure searched breadth-first (ld.so(8), "Rpath token expansion" and the search order: DT_RPATH
// of the loading object when it has no DT_RUNPATH, then DT_RUNPATH, then the system directories),
// and each undefined dynamic symbol bound to the first object of the global scope that defines it
// with a matching version (LSB Core §10.7.2). Reported are the symbols bound to (or versioned for)
// libc.so.6, libm.so.6, libpthread.so.0, libdl.so.2 and librt.so.1. Not modelled: LD_LIBRARY_PATH,
// /etc/ld.so.cache and ld.so.conf beyond the Debian multiarch directories, LD_PRELOAD, dlopen.
import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { parseElf, symbolVersion, STB_LOCAL, SHN_UNDEF, EM_X86_64, EM_AARCH64 } from '@osv-ts/elf-linker';
import type { ElfFile } from '@osv-ts/elf-linker';

export const LIBC_FAMILY = ['libc.so.6', 'libm.so.6', 'libpthread.so.0', 'libdl.so.2', 'librt.so.1'];

/** Debian's multiarch directories (/etc/ld.so.conf.d) then the trusted directories of ld.so. */
export function defaultLibraryPaths(machine: number): string[] {
  const triple = machine === EM_AARCH64 ? 'aarch64-linux-gnu' : 'x86_64-linux-gnu';
  return [`/lib/${triple}`, `/usr/lib/${triple}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib'];
}

export interface LoadedObject {
  readonly name: string;
  readonly path: string;
  /** The object whose DT_NEEDED named it first (undefined for the program itself). */
  readonly neededBy?: string;
  readonly elf: ElfFile;
}

export interface NeededSymbol {
  readonly name: string;
  /** The version the program asks for (verneed), if any. */
  readonly version?: string;
  /** The library the symbol is bound to (first definer in scope order), or undefined if unbound. */
  readonly boundTo?: string;
  /** The library the version requirement names (verneed's file). */
  readonly versionFile?: string;
  readonly weak: boolean;
  /** The objects in the closure that reference it. */
  readonly neededBy: string[];
}

export interface AbiRequirements {
  readonly path: string;
  readonly machine: number;
  readonly interpreter?: string;
  readonly closure: LoadedObject[];
  /** NEEDED names no search path held (with who needed them). */
  readonly missing: { name: string; neededBy: string }[];
  /** Symbols bound to or versioned for the libc family, sorted by library, version and name. */
  readonly libcSymbols: NeededSymbol[];
}

function machineMatches(path: string, machine: number): ElfFile | undefined {
  try {
    const elf = parseElf(readFileSync(path));
    return elf.header.machine === machine ? elf : undefined;
  } catch {
    return undefined; // not an ELF64 of this machine: ld.so skips it and keeps searching
  }
}

function expandOrigin(list: string, origin: string): string[] {
  return list
    .split(':')
    .filter((d) => d !== '')
    .map((d) => d.replace(/\$(ORIGIN|\{ORIGIN\})/g, origin));
}

export function abiRequirements(path: string, libraryPaths?: readonly string[]): AbiRequirements {
  const program = parseElf(readFileSync(path));
  const machine = program.header.machine;
  const defaults = libraryPaths ?? defaultLibraryPaths(machine);
  const closure: LoadedObject[] = [{ name: path, path, elf: program }];
  const missing: { name: string; neededBy: string }[] = [];
  const seen = new Set<string>([path]);
  for (let i = 0; i < closure.length; i++) {
    const loader = closure[i]!;
    const dyn = loader.elf.dynamic;
    if (dyn === undefined) continue;
    const origin = dirname(loader.path);
    const rpath = dyn.runpath === undefined && dyn.rpath !== undefined ? expandOrigin(dyn.rpath, origin) : [];
    const exeRpath =
      i > 0 && program.dynamic?.runpath === undefined && program.dynamic?.rpath !== undefined
        ? expandOrigin(program.dynamic.rpath, dirname(path))
        : [];
    const runpath = dyn.runpath === undefined ? [] : expandOrigin(dyn.runpath, origin);
    const dirs = [...rpath, ...exeRpath, ...runpath, ...defaults];
    for (const name of dyn.needed) {
      if (seen.has(name)) continue;
      seen.add(name);
      let found: LoadedObject | undefined;
      for (const candidate of name.includes('/') ? [name] : dirs.map((d) => `${d}/${name}`)) {
        if (!existsSync(candidate)) continue;
        const elf = machineMatches(candidate, machine);
        if (elf !== undefined) {
          found = { name, path: candidate, neededBy: loader.name, elf };
          break;
        }
      }
      if (found === undefined) missing.push({ name, neededBy: loader.name });
      else closure.push(found);
    }
  }

  const needed = new Map<string, NeededSymbol & { neededBy: string[] }>();
  for (const obj of closure) {
    const dynsym = obj.elf.dynsym;
    if (dynsym === undefined) continue;
    dynsym.symbols.forEach((s, i) => {
      if (i === 0 || s.shndx !== SHN_UNDEF || s.binding === STB_LOCAL || s.name === '') return;
      const v = obj.elf.versions === undefined ? undefined : symbolVersion(obj.elf.versions, i);
      const key = `${s.name}@${v?.name ?? ''}`;
      const have = needed.get(key);
      if (have !== undefined) {
        if (!have.neededBy.includes(obj.name)) have.neededBy.push(obj.name);
        return;
      }
      const boundTo = bind(closure, s.name, v?.name);
      const sym: NeededSymbol & { neededBy: string[] } = { name: s.name, weak: s.binding === 2, neededBy: [obj.name] };
      if (v !== undefined) Object.assign(sym, { version: v.name, versionFile: v.file });
      if (boundTo !== undefined) Object.assign(sym, { boundTo });
      needed.set(key, sym);
    });
  }
  const libcSymbols = [...needed.values()]
    .filter((s) => LIBC_FAMILY.includes(s.boundTo ?? '') || LIBC_FAMILY.includes(s.versionFile ?? ''))
    .sort(
      (a, b) =>
        cmp(a.boundTo ?? a.versionFile ?? '', b.boundTo ?? b.versionFile ?? '') ||
        cmp(a.version ?? '', b.version ?? '') ||
        cmp(a.name, b.name),
    );
  const out: AbiRequirements = { path, machine, closure, missing, libcSymbols };
  return program.interpreter === undefined ? out : { ...out, interpreter: program.interpreter };
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The first object in load order (the program first) defining `name` (at `version`, if given). */
function bind(closure: readonly LoadedObject[], name: string, version: string | undefined): string | undefined {
  for (const obj of closure) {
    const dynsym = obj.elf.dynsym;
    if (dynsym === undefined) continue;
    for (const table of obj.elf.hashTables.slice(0, 1)) {
      const index = table.lookup(name, (i) => {
        const s = dynsym.symbols[i]!;
        if (s.shndx === SHN_UNDEF || s.binding === STB_LOCAL) return false;
        if (version === undefined || obj.elf.versions === undefined) return true;
        return symbolVersion(obj.elf.versions, i)?.name === version;
      });
      if (index !== undefined) return obj.name;
    }
  }
  return undefined;
}

export function machineName(machine: number): string {
  return machine === EM_X86_64 ? 'x86-64' : machine === EM_AARCH64 ? 'AArch64' : `e_machine ${machine}`;
}
