// `osv abi-check BINARY [--json]`: what a Linux ELF program needs from the C library (libc, libm,
// libpthread, libdl, librt) through its NEEDED closure, resolved against the host's libraries —
// OSv's "Linux ABI compatibility" page as a command. Which of them the osv-ts Linux layer
// provides (issue 19 part 2) is not reported yet: that layer does not exist.
import { CliError, UsageError } from '../cli-error.js';
import { abiRequirements, machineName } from '../abi/abi-requirements.js';
import type { AbiRequirements } from '../abi/abi-requirements.js';

export const ABI_CHECK_USAGE = `usage: osv abi-check BINARY [--json]

For a Linux ELF executable or library: its NEEDED closure, each name resolved as ld.so does
(DT_RPATH, DT_RUNPATH with $ORIGIN, then /lib/x86_64-linux-gnu, /usr/lib/x86_64-linux-gnu,
/lib64, /usr/lib64, /lib, /usr/lib), and the symbols it needs from libc.so.6, libm.so.6,
libpthread.so.0, libdl.so.2 and librt.so.1 with their versions.

  --json   print the result as one JSON object
`;

export function abiCheckCommand(argv: readonly string[]): number {
  if (argv.includes('-h') || argv.includes('--help')) {
    process.stdout.write(ABI_CHECK_USAGE);
    return 0;
  }
  const json = argv.includes('--json');
  const files = argv.filter((a) => a !== '--json');
  const bad = files.find((a) => a.startsWith('-'));
  if (bad !== undefined) throw new UsageError(`abi-check: unknown option ${bad}`);
  if (files.length !== 1) throw new UsageError('abi-check: give one BINARY');
  let req: AbiRequirements;
  try {
    req = abiRequirements(files[0]!);
  } catch (e) {
    if (e instanceof Error && (e.name === 'FormatError' || 'code' in e))
      throw new CliError(`abi-check: ${files[0]}: ${e.message}`);
    throw e;
  }
  process.stdout.write(json ? `${JSON.stringify(toJson(req), null, 2)}\n` : toText(req));
  return req.missing.length > 0 ? 1 : 0;
}

function toJson(r: AbiRequirements): unknown {
  return {
    path: r.path,
    machine: machineName(r.machine),
    interpreter: r.interpreter ?? null,
    closure: r.closure.slice(1).map((o) => ({ name: o.name, path: o.path, neededBy: o.neededBy })),
    missing: r.missing,
    libcSymbols: r.libcSymbols,
  };
}

function toText(r: AbiRequirements): string {
  const lines = [
    `${r.path}: ${machineName(r.machine)}${r.interpreter === undefined ? ', static or no interpreter' : `, interpreter ${r.interpreter}`}`,
  ];
  lines.push(`NEEDED closure (${r.closure.length - 1}):`);
  for (const o of r.closure.slice(1)) lines.push(`  ${o.name} => ${o.path}  (needed by ${o.neededBy})`);
  for (const m of r.missing) lines.push(`  ${m.name} => not found  (needed by ${m.neededBy})`);
  const groups = new Map<string, string[]>();
  for (const s of r.libcSymbols) {
    const key = `${s.boundTo ?? `${s.versionFile} (unbound)`} ${s.version ?? '(unversioned)'}`;
    const list = groups.get(key) ?? [];
    list.push(s.weak ? `${s.name} (weak)` : s.name);
    groups.set(key, list);
  }
  lines.push(`libc-family symbols needed (${r.libcSymbols.length}):`);
  for (const [key, names] of groups) lines.push(`  ${key}: ${names.join(' ')}`);
  return `${lines.join('\n')}\n`;
}
