// Runs a WASI command under Node's own node:wasi, as the peer the conformance tests compare
// with: argv = [basename, ...args], preopen "/" = the given host directory, env from OSV_ENV_*.
import { readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { WASI } from 'node:wasi';

const [file, root, ...args] = process.argv.slice(2);
const env = Object.fromEntries(
  Object.entries(process.env)
    .filter(([k]) => k.startsWith('OSV_ENV_'))
    .map(([k, v]) => [k.slice(8), v]),
);
const wasi = new WASI({
  version: 'preview1',
  args: [basename(file), ...args],
  env,
  preopens: { '/': root },
  returnOnExit: true,
});
const instance = new WebAssembly.Instance(new WebAssembly.Module(readFileSync(file)), wasi.getImportObject());
process.exitCode = wasi.start(instance);
