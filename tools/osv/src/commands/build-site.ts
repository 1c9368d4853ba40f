// `osv build --profile vm-browser -o DIR`: a static site that boots the app in a web page — an
// HTML page, the kernel bundle (composed for vm-browser from the same modules as for Node), the
// page's VMM (browser/browser-page.ts) with its terminal (xterm.js), and either the boot file
// system holding the app and the manifest's files, or (-i IMAGE) a disk image osv build wrote,
// which the page attaches as virtio-blk as osv run -i does; osv.json says how to boot them.
// `osv serve DIR` serves it.
import { copyFileSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { basename, dirname, join } from 'node:path';
import { loadBootImage } from '@osv-ts/vmm';
import { parseWasmModule } from '@osv-ts/elf-linker';
import { bootfsEntriesFromTree, writeBootfs } from '@osv-ts/vfs/bootfs';
import { toRofsTree, type ImageDir } from '@osv-ts/vfs/manifest';
import { readRegularFile } from '../image/host-files.js';
import { readManifest, writingFrom } from '../image/manifest-files.js';
import { nodeHostFs } from '../image/node-host-fs.js';
import { NeedList, appNeeds } from '../linker/app-needs.js';
import { composeImageKernel } from '../linker/image-kernel.js';
import { composeKernel, type KernelBundle } from '../linker/kernel-bundle.js';
import { loadCatalog, packageDir, type CatalogEntry } from '../linker/module-catalog.js';
import type { Profile } from '../linker/profile.js';
import { selectModules } from '../linker/select-modules.js';
import type { SiteConfig } from '../browser/browser-page.js';
import { CliError, UsageError, describeSystemError } from '../cli-error.js';
import type { BuildOptions, BuildResult } from './build.js';

const SITE_RAM_BYTES = 64 * 1024 * 1024;

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>osv-ts</title>
<link rel="stylesheet" href="xterm.css">
<style>
  body { background: #111; color: #ddd; font-family: monospace; margin: 1em; }
  #status { color: #8c8; }
</style>
</head>
<body>
<div id="terminal"></div>
<p id="status">booting…</p>
<script type="module" src="vmm.js"></script>
</body>
</html>
`;

export async function buildSite(o: BuildOptions, profile: Profile, log: (s: string) => void): Promise<BuildResult> {
  const out = o.output!;
  if (existsSync(out) && !statSync(out).isDirectory())
    throw new UsageError(`-o ${out}: a vm-browser build writes a directory, and ${out} is a file`);
  if (o.fs !== 'rofs' || o.format !== 'raw')
    throw new UsageError(
      '--fs and --format are for disk images: a vm-browser site boots its files from a bootfs, or a disk image given with -i',
    );
  const site = o.image === undefined ? await filesSite(o, profile) : await imageSite(o.image, profile, o);
  const vmm = await bundlePage();
  const config: SiteConfig = {
    memBytes: SITE_RAM_BYTES,
    kernel: 'kernel.mjs',
    modules: site.kernel.modules,
    ...site.config,
  };
  try {
    mkdirSync(out, { recursive: true });
    writeFileSync(join(out, 'index.html'), PAGE);
    copyFileSync(site.kernel.path, join(out, 'kernel.mjs'));
    writeFileSync(join(out, 'vmm.js'), vmm);
    writeFileSync(join(out, 'xterm.css'), xtermFile('css/xterm.css'));
    // vmm.js bundles xterm.js without its comments: its MIT notice travels beside it.
    writeFileSync(join(out, 'LICENSE.xterm.txt'), xtermFile('LICENSE'));
    for (const [name, data] of site.files) writeFileSync(join(out, name), data);
    writeFileSync(join(out, 'osv.json'), `${JSON.stringify(config, null, 2)}\n`);
  } catch (e) {
    throw new CliError(`-o ${out}: ${(e as Error).message}`);
  }
  const names = [
    'index.html',
    'kernel.mjs',
    'vmm.js',
    'xterm.css',
    'LICENSE.xterm.txt',
    ...site.files.keys(),
    'osv.json',
  ];
  log(`osv build: modules: ${site.kernel.modules.join(', ')}\n`);
  log(`osv build: kernel ${site.kernel.hash}: ${(site.kernel.sizeBytes / 1024).toFixed(1)} KiB (vm-browser)\n`);
  log(`osv build: ${out}/: ${names.join(', ')} (osv serve ${out})\n`);
  return {
    output: out,
    kind: 'site',
    modules: site.kernel.modules,
    kernelHash: site.kernel.hash,
    kernelBytes: site.kernel.sizeBytes,
    files: names,
  };
}

interface SitePlan {
  readonly kernel: KernelBundle;
  /** The site's own part of osv.json. */
  readonly config: Pick<SiteConfig, 'cmdline' | 'bootfs' | 'disk'>;
  /** Files besides the page, the kernel and the VMM, by name. */
  readonly files: Map<string, Uint8Array>;
}

/** The app and the manifest's files in a bootfs, with a kernel linked for the app's needs. */
async function filesSite(o: BuildOptions, profile: Profile): Promise<SitePlan> {
  let tree: ImageDir = { kind: 'dir', children: new Map() };
  if (o.manifest !== undefined) tree = toRofsTree(readManifest(o.manifest), nodeHostFs);
  const needs = new NeedList().add('console', 'every app has stdin/stdout/stderr');
  const appName = o.app === undefined ? undefined : basename(o.app);
  if (o.app !== undefined && appName !== undefined) {
    const data = readRegularFile(o.app, '--app');
    tree.children.set(appName, { kind: 'file', data });
    try {
      needs.addAll(appNeeds(parseWasmModule(data)).needs);
    } catch (e) {
      throw new UsageError(`${o.app} is not a WebAssembly module osv can load: ${(e as Error).message}`);
    }
  }
  if (o.manifest !== undefined) needs.add('vfs', `--manifest ${o.manifest}`);
  needs.add('hwrng', 'the page attaches virtio-rng (crypto.getRandomValues)', true);
  const selection = selectModules(loadCatalog(), profile, needs.list());
  const entries =
    o.manifest === undefined ? bootfsEntriesFromTree(tree) : writingFrom(o.manifest, () => bootfsEntriesFromTree(tree));
  const kernel = await composeKernel(selection.modules, 'vm-browser');
  return {
    kernel,
    config: { cmdline: o.cmdline ?? (appName ? `/${appName}` : ''), bootfs: 'bootfs.bin' },
    files: new Map([['bootfs.bin', writeBootfs(entries)]]),
  };
}

/**
 * A disk image osv build wrote, booted as osv run -i boots it: its kernel's modules (vouched
 * for as osv run -i does, then composed for vm-browser), its command line and bootfs (which the
 * page reads from the image itself), the image as vblk0.
 */
async function imageSite(image: string, profile: Profile, o: BuildOptions): Promise<SitePlan> {
  if (o.cmdline !== undefined)
    throw new UsageError(
      'osv build -i: the command line comes from the image (the page takes ?cmdline=… to replace it)',
    );
  let loaded;
  try {
    loaded = loadBootImage(image);
  } catch (e) {
    throw new CliError(`cannot boot ${image}: ${describeSystemError(e)}`);
  }
  if (loaded.format !== 'raw')
    throw new UsageError(
      `-i ${image}: a vm-browser site takes a raw image (osv build --format raw), not ${loaded.format}`,
    );
  const { identity } = await composeImageKernel(image, loaded);
  const catalog = loadCatalog();
  const modules = identity.modules.map((name): CatalogEntry => {
    const m = catalog.find((c) => c.name === name && (!c.targets || c.targets.includes(profile.target)));
    if (!m) throw new UsageError(`-i ${image}: its kernel links '${name}', which has no ${profile.target} build`);
    return m;
  });
  const kernel = await composeKernel(modules, 'vm-browser');
  return { kernel, config: { disk: 'disk.img' }, files: new Map([['disk.img', readFileSync(image)]]) };
}

/** The page's VMM and terminal, bundled for browsers. */
async function bundlePage(): Promise<Uint8Array> {
  const { build } = await import('esbuild');
  const vmm = await build({
    entryPoints: [join(packageDir('@osv-ts/osv'), 'dist', 'browser-page.js')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minifySyntax: true,
    minifyWhitespace: true,
    legalComments: 'none',
    write: false,
    logLevel: 'silent',
  });
  return vmm.outputFiles[0]!.contents;
}

/** A file of the installed @xterm/xterm (its style sheet, its licence). */
function xtermFile(path: string): Uint8Array {
  const require = createRequire(join(packageDir('@osv-ts/osv'), 'package.json'));
  return readFileSync(join(dirname(require.resolve('@xterm/xterm/package.json')), path));
}
