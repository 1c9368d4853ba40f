// Checks every workspace package's sources against the package rules (docs/architecture.md §2):
//  1. an import names a package its package.json declares (tests and benchmarks may also use
//     the package's devDependencies or the workspace root's);
//  2. no import reaches into another package's files (relative paths leaving the package, or
//     `@osv-ts/x/src/...`);
//  3. @osv-ts edges point downwards in the layer ranks;
//  4. guest packages' non-test sources import no `node:` or Node built-in module and use no
//     Node global (process, Buffer, require, __dirname, ...).
// Imports are read with the TypeScript parser, so type-only and dynamic imports count too.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';
import { GUEST_PACKAGES, LAYER_RANK, NODE_GLOBALS, TEST_ONLY_PACKAGES } from './layers.js';

export interface Violation {
  readonly rule:
    | 'undeclared-dependency'
    | 'reach-into-package'
    | 'upward-dependency'
    | 'node-import-in-guest'
    | 'node-global-in-guest'
    | 'test-only-package';
  readonly file: string;
  readonly line: number;
  readonly message: string;
}

interface PackageInfo {
  readonly name: string;
  readonly dir: string;
  readonly dependencies: Set<string>;
  readonly devDependencies: Set<string>;
}

const BUILTINS = new Set(builtinModules);
const SOURCE = /\.(ts|tsx|mts|cts|js|mjs)$/;

function readPackage(dir: string): PackageInfo | undefined {
  const p = join(dir, 'package.json');
  if (!existsSync(p)) return undefined;
  const json = JSON.parse(readFileSync(p, 'utf8')) as {
    name?: string;
    dependencies?: object;
    peerDependencies?: object;
    devDependencies?: object;
  };
  if (!json.name) return undefined;
  return {
    name: json.name,
    dir,
    dependencies: new Set([...Object.keys(json.dependencies ?? {}), ...Object.keys(json.peerDependencies ?? {})]),
    devDependencies: new Set(Object.keys(json.devDependencies ?? {})),
  };
}

/** Workspace package directories listed in the root package.json's `workspaces`. */
export function workspacePackages(root: string): PackageInfo[] {
  const rootJson = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { workspaces?: string[] };
  const out: PackageInfo[] = [];
  for (const pattern of rootJson.workspaces ?? []) {
    const base = pattern.replace(/\/\*$/, '');
    const dirs = pattern.endsWith('/*')
      ? readdirSync(join(root, base)).map((d) => join(root, base, d))
      : [join(root, pattern)];
    for (const d of dirs) {
      const info = statSync(d).isDirectory() ? readPackage(d) : undefined;
      if (info) out.push(info);
    }
  }
  return out;
}

function listSources(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name === 'dist' || name.startsWith('.')) continue;
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...listSources(p));
    else if (SOURCE.test(name) && !name.endsWith('.d.ts')) out.push(p);
  }
  return out;
}

/** Test, benchmark and build-config files may use devDependencies and Node. */
function isDevFile(pkgDir: string, file: string): boolean {
  const rel = relative(pkgDir, file).split(sep).join('/');
  return (
    /\.test\.[cm]?[tj]s$/.test(rel) ||
    /^(test|bench|scripts)\//.test(rel) ||
    /\/(test|bench)\//.test(rel) ||
    !rel.startsWith('src/')
  );
}

function packageNameOf(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

export function checkWorkspace(root: string): Violation[] {
  const rootPkg = readPackage(root)!;
  const packages = workspacePackages(root);
  const violations: Violation[] = [];
  for (const pkg of packages) {
    for (const file of listSources(pkg.dir)) violations.push(...checkFile(pkg, rootPkg, file, root, packages));
  }
  return violations;
}

function checkFile(
  pkg: PackageInfo,
  rootPkg: PackageInfo,
  file: string,
  root: string,
  packages: readonly PackageInfo[],
): Violation[] {
  const text = readFileSync(file, 'utf8');
  const sf = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const dev = isDevFile(pkg.dir, file);
  const guest = GUEST_PACKAGES.has(pkg.name) && !dev;
  const out: Violation[] = [];
  const relFile = relative(root, file);
  const add = (rule: Violation['rule'], node: ts.Node, message: string): void => {
    out.push({ rule, file: relFile, line: sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1, message });
  };
  const checkSpecifier = (spec: string, node: ts.Node): void => {
    if (spec.startsWith('.') || spec.startsWith('/')) {
      const target = resolve(dirname(file), spec);
      const inside = (dir: string): boolean => (target + sep).startsWith(dir + sep);
      if (inside(pkg.dir)) return;
      const other = packages.find((p) => p !== pkg && inside(p.dir));
      if (other) add('reach-into-package', node, `'${spec}' reaches into ${other.name}: import it by name`);
      // Build and test configs may share the workspace root's base configs; sources may not.
      else if (!dev || !inside(root)) add('reach-into-package', node, `'${spec}' leaves ${pkg.name}`);
      return;
    }
    const isNode = spec.startsWith('node:') || BUILTINS.has(spec) || BUILTINS.has(packageNameOf(spec));
    if (isNode) {
      if (guest)
        add(
          'node-import-in-guest',
          node,
          `guest package ${pkg.name} imports '${spec}' (guest packages are isomorphic)`,
        );
      return;
    }
    const name = packageNameOf(spec);
    if (name === pkg.name) return;
    const declared =
      pkg.dependencies.has(name) || (dev && (pkg.devDependencies.has(name) || rootPkg.devDependencies.has(name)));
    if (!declared) add('undeclared-dependency', node, `'${spec}' is not declared in ${pkg.name}'s package.json`);
    if (name.startsWith('@osv-ts/') && /\/(src|dist)(\/|$)/.test(spec.slice(name.length))) {
      add('reach-into-package', node, `'${spec}' reaches into ${name}'s files: use its exports`);
    }
    if (TEST_ONLY_PACKAGES.has(name) && !dev)
      add('test-only-package', node, `${name} is for tests: ${relFile} is not a test, benchmark or build file`);
    const from = LAYER_RANK[pkg.name];
    const to = LAYER_RANK[name];
    if (from !== undefined && to !== undefined && to >= from) {
      add('upward-dependency', node, `${pkg.name} (layer ${from}) must not depend on ${name} (layer ${to})`);
    }
  };
  const declaredNames = new Set<string>();
  const collect = (node: ts.Node): void => {
    if (
      (ts.isVariableDeclaration(node) ||
        ts.isFunctionDeclaration(node) ||
        ts.isClassDeclaration(node) ||
        ts.isParameter(node) ||
        ts.isImportSpecifier(node) ||
        ts.isImportClause(node)) &&
      node.name &&
      ts.isIdentifier(node.name)
    ) {
      declaredNames.add(node.name.text);
    }
    ts.forEachChild(node, collect);
  };
  if (guest) collect(sf);
  const visit = (node: ts.Node): void => {
    if (
      (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) &&
      node.moduleSpecifier &&
      ts.isStringLiteral(node.moduleSpecifier)
    ) {
      checkSpecifier(node.moduleSpecifier.text, node);
    } else if (
      ts.isCallExpression(node) &&
      node.expression.kind === ts.SyntaxKind.ImportKeyword &&
      node.arguments[0] &&
      ts.isStringLiteral(node.arguments[0])
    ) {
      checkSpecifier(node.arguments[0].text, node);
    } else if (
      ts.isImportTypeNode(node) &&
      ts.isLiteralTypeNode(node.argument) &&
      ts.isStringLiteral(node.argument.literal)
    ) {
      checkSpecifier(node.argument.literal.text, node);
    } else if (
      guest &&
      ts.isIdentifier(node) &&
      NODE_GLOBALS.has(node.text) &&
      !declaredNames.has(node.text) &&
      isValueReference(node)
    ) {
      add('node-global-in-guest', node, `guest package ${pkg.name} uses the Node global '${node.text}'`);
    }
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return out;
}

/** An identifier used as a free variable (not a property name, key, or declaration). */
function isValueReference(id: ts.Identifier): boolean {
  const p = id.parent;
  if (ts.isPropertyAccessExpression(p) && p.name === id) return false;
  if (
    (ts.isPropertyAssignment(p) ||
      ts.isPropertyDeclaration(p) ||
      ts.isMethodDeclaration(p) ||
      ts.isPropertySignature(p) ||
      ts.isMethodSignature(p)) &&
    p.name === id
  )
    return false;
  if (ts.isQualifiedName(p) && p.right === id) return false;
  if (ts.isEnumMember(p) || ts.isTypeAliasDeclaration(p) || ts.isInterfaceDeclaration(p)) return false;
  if (ts.isBindingElement(p) && p.propertyName === id) return false;
  return true;
}

export function formatViolations(violations: readonly Violation[]): string {
  return violations.map((v) => `${v.file}:${v.line}: [${v.rule}] ${v.message}`).join('\n');
}
