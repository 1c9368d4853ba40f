// `osv link`: the kernel osv would compose for an app on a profile — the modules selected, why
// each is there, and each one's share of the bundle — without building or booting anything.
// osv run and osv build select with the same selectModules.
import { basename } from 'node:path';
import { parseWasmModule } from '@osv-ts/elf-linker';
import { readRegularFile } from '../image/host-files.js';
import { NeedList, appNeeds, jsAppNeeds } from '../linker/app-needs.js';
import { JS_APP_FILE } from '../linker/js-app-file.js';
import { loadCatalog } from '../linker/module-catalog.js';
import { loadProfile } from '../linker/profile.js';
import { selectModules, type Selection } from '../linker/select-modules.js';
import { measureKernel, type SizeReport } from '../linker/size-report.js';
import { UsageError } from '../cli-error.js';
import { optionWords } from './option-words.js';

export const LINK_USAGE = `usage: osv link APP [--profile P] [--modules +a,-b] [--json]
       osv link --all [--profile P] [--json]

Prints the kernel modules osv links for APP (a .wasm module, or a JS app) on a hypervisor
profile, why each is linked (the import, option or module that needs it), and each module's
share of the kernel bundle: what the bundle loses when that module alone is left out.

options:
      --profile P       hypervisor profile (default vm-node; osv profiles lists them, or a
                        profile file's path)
      --modules LIST    comma-separated +NAME (link it too) and -NAME (never link it)
      --all             every module the profile can carry (the universal kernel)
      --json            the report as JSON on stdout
  -h, --help            this text
`;

interface LinkOptions {
  app?: string;
  profile: string;
  include: string[];
  exclude: string[];
  all: boolean;
  json: boolean;
  help: boolean;
}

export function parseLinkOptions(argv: readonly string[]): LinkOptions {
  const o: LinkOptions = { profile: 'vm-node', include: [], exclude: [], all: false, json: false, help: false };
  for (const { arg, word, value } of optionWords(argv)) {
    switch (arg) {
      case '--profile':
        o.profile = value();
        break;
      case '--modules':
        for (const word of value().split(',')) {
          const name = word.slice(1);
          if ((word[0] !== '+' && word[0] !== '-') || name === '')
            throw new UsageError(`--modules ${word}: each entry is +NAME or -NAME`);
          (word[0] === '+' ? o.include : o.exclude).push(name);
        }
        break;
      case '--all':
        o.all = true;
        break;
      case '--json':
        o.json = true;
        break;
      case '-h':
      case '--help':
        o.help = true;
        break;
      case '-V':
      case '--verbose':
        break; // read by cli.ts
      default:
        if (arg.startsWith('-') || o.app !== undefined)
          throw new UsageError(`unknown option '${word}' (osv link --help lists the options)`);
        o.app = arg;
    }
  }
  if (!o.help && o.app === undefined && !o.all) throw new UsageError('osv link needs an APP or --all');
  return o;
}

export async function linkCommand(argv: readonly string[]): Promise<number> {
  const o = parseLinkOptions(argv);
  if (o.help) {
    process.stdout.write(LINK_USAGE);
    return 0;
  }
  const profile = loadProfile(o.profile);
  const needs = new NeedList();
  if (o.app !== undefined) {
    if (JS_APP_FILE.test(o.app)) {
      readRegularFile(o.app, 'app');
      needs.addAll(jsAppNeeds({ networking: false }).needs);
    } else {
      const data = readRegularFile(o.app, 'app');
      try {
        needs.addAll(appNeeds(parseWasmModule(data)).needs);
      } catch (e) {
        throw new UsageError(`${o.app} is not a WebAssembly module osv can load: ${(e as Error).message}`);
      }
    }
  }
  const selection = selectModules(loadCatalog(), profile, needs.list(), {
    include: o.include,
    exclude: o.exclude,
    all: o.all,
  });
  // Only vm-node kernels are bundles today: inprocess links into the host, vm-browser is not built yet.
  const sizes = profile.target === 'vm-node' ? await measureKernel(selection.modules, profile.target) : undefined;
  const what = o.app === undefined ? 'every module' : basename(o.app);
  process.stdout.write(
    o.json
      ? `${JSON.stringify(linkReportJson(what, profile.name, selection, sizes), null, 2)}\n`
      : linkReportText(what, profile.name, profile.target, selection, sizes),
  );
  return 0;
}

export function linkReportJson(app: string, profile: string, selection: Selection, sizes: SizeReport | undefined) {
  return {
    app,
    profile,
    modules: selection.selected.map((s) => ({
      name: s.module.name,
      package: s.module.packageName,
      provides: s.module.provides,
      reason: s.reason,
      ...(sizes ? { bytes: sizes.modules[s.module.name] ?? 0 } : {}),
    })),
    unavailable: selection.unavailable.map((n) => ({ capability: n.capability, reason: n.reason })),
    ...(sizes
      ? {
          coreBytes: sizes.coreBytes,
          sharedBytes: sizes.sharedBytes,
          totalBytes: sizes.totalBytes,
        }
      : {}),
  };
}

const kib = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KiB`;

export function linkReportText(
  app: string,
  profile: string,
  target: string,
  selection: Selection,
  sizes: SizeReport | undefined,
): string {
  const rows: [string, string, string][] = selection.selected.map((s) => [
    s.module.name,
    sizes ? kib(sizes.modules[s.module.name] ?? 0) : '',
    s.reason,
  ]);
  if (sizes) {
    rows.push(['(kernel core)', kib(sizes.coreBytes), 'the kernel linked with no module']);
    rows.push(['(shared)', kib(sizes.sharedBytes), 'code several linked modules use']);
    rows.push(['total', kib(sizes.totalBytes), '']);
  }
  const w0 = Math.max(6, ...rows.map((r) => r[0].length));
  // Sizes in a fixed width, so that the table's layout does not change with the sizes.
  const w1 = Math.max(10, ...rows.map((r) => r[1].length));
  const line = (r: readonly [string, string, string]): string =>
    `${r[0].padEnd(w0)}  ${r[1].padStart(w1)}  ${r[2]}`.trimEnd() + '\n';
  let out = `osv link: ${app} on profile ${profile} (target ${target})\n` + line(['module', 'size', 'why']);
  for (const r of rows) out += line(r);
  if (!sizes) out += `(no sizes: target ${target} has no kernel bundle osv composes yet)\n`;
  for (const n of selection.unavailable) out += `not linked (calls return ENOSYS): ${n.capability} ← ${n.reason}\n`;
  return out;
}
