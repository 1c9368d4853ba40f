// What a composed kernel bundle holds, read from the bundle itself: which classes and functions
// of a package's sources are declared in it. esbuild keeps declaration names (the kernel is
// minified for whitespace and syntax, not identifiers), so a name's declaration in the bundle
// means that code was linked in.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from './workspace.js';

const DECLARATION =
  /(?:^|\n)\s*(?:export\s+)?(?:default\s+)?(?:abstract\s+)?(?:class|function\*?)\s+([A-Za-z_$][\w$]*)/g;

function sourceFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...sourceFiles(p));
    else if (name.endsWith('.ts') && !name.endsWith('.test.ts') && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/**
 * The class and function names declared in the sources under `dir` (relative to the repository
 * root), except those in files `except` matches.
 */
export function declaredNames(dir: string, except?: RegExp): Set<string> {
  const names = new Set<string>();
  for (const file of sourceFiles(join(REPO_ROOT, dir))) {
    if (except?.test(file)) continue;
    for (const m of readFileSync(file, 'utf8').matchAll(DECLARATION)) names.add(m[1]!);
  }
  return names;
}

/** The names of `names` whose class or function declaration is in the bundle `code`. */
export function linkedNames(code: string, names: Iterable<string>): string[] {
  const found: string[] = [];
  for (const name of names) {
    const n = name.replace(/\$/g, '\\$');
    if (new RegExp(`(?:class|function\\*?)\\s+${n}\\b|[,;{}\\s]${n}\\s*=\\s*class\\b`).test(code)) found.push(name);
  }
  return found;
}
