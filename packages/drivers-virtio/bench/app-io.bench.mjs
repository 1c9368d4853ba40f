// 4 KiB reads from a wasm app: the app in an osv-ts microVM reading its ROFS root from a raw
// disk image through virtio-blk (raw-file back-end on the VMM thread), against the same app
// under node:wasi reading the same bytes from a host directory. The app times its own loop,
// so boot time is not counted. Prints ms per run and the ratio osv-ts / node:wasi.
// Needs clang for wasm32-wasi and the built osv CLI (npm run bench at the root builds it).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { WASI } from 'node:wasi';

const here = fileURLToPath(new URL('.', import.meta.url));
const cli = join(here, '../../../tools/osv/dist/cli.js');
const SIZE = 32 << 20;
const COUNT = 8192;
const ROUNDS = 5;
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const dir = mkdtempSync(join(tmpdir(), 'osv-app-io-'));
const wasm = join(dir, 'iobench.wasm');
execFileSync('clang', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-o', wasm, join(here, 'iobench.c')]);
const data = new Uint8Array(SIZE);
for (let i = 0; i < SIZE; i += 4096) data[i] = (i >>> 12) & 0xff;
writeFileSync(join(dir, 'data.bin'), data);
writeFileSync(join(dir, 'usr.manifest'), '/data.bin: data.bin\n');
const image = join(dir, 'io.img');
execFileSync(process.execPath, [cli, 'build', '--app', wasm, '--manifest', join(dir, 'usr.manifest'), '-o', image], {
  stdio: 'ignore',
});

const parse = (out) => {
  const m = /^([\d.]+) ms (\d+)$/m.exec(out);
  if (!m) throw new Error(`unexpected output: ${out}`);
  return { ms: Number(m[1]), sum: m[2] };
};

function osvRun(mode) {
  const r = spawnSync(process.execPath, [cli, 'run', '-i', image, '-e', `/iobench.wasm /data.bin ${mode} ${COUNT}`], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`osv run failed: ${r.stderr}`);
  return parse(r.stdout);
}

const module = await WebAssembly.compile(readFileSync(wasm));
async function nodeRun(mode) {
  const outPath = join(dir, 'out.txt');
  const { openSync, closeSync } = await import('node:fs');
  const fd = openSync(outPath, 'w');
  const wasi = new WASI({
    version: 'preview1',
    args: ['iobench', '/data.bin', mode, String(COUNT)],
    preopens: { '/': dir },
    stdout: fd,
    returnOnExit: true,
  });
  const instance = await WebAssembly.instantiate(module, wasi.getImportObject());
  wasi.start(instance);
  closeSync(fd);
  return parse(readFileSync(outPath, 'utf8'));
}

console.log(
  `wasm app, ${COUNT} preads of 4 KiB from a ${SIZE >> 20} MiB file, median of ${ROUNDS} (app-timed ms; ratio = osv-ts / node:wasi)`,
);
for (const mode of ['seq', 'rand']) {
  const ours = [];
  const peer = [];
  for (let i = 0; i < ROUNDS; i++) {
    const a = osvRun(mode);
    const b = await nodeRun(mode);
    if (a.sum !== b.sum) throw new Error(`checksums differ: osv ${a.sum}, node ${b.sum}`);
    ours.push(a.ms);
    peer.push(b.ms);
  }
  const o = median(ours);
  const p = median(peer);
  console.log(
    `app ${mode === 'seq' ? 'sequential' : 'random    '} read 4 KiB   osv-ts ${o.toFixed(1).padStart(8)} ms  node:wasi ${p.toFixed(1).padStart(8)} ms  ratio ${(o / p).toFixed(2)}`,
  );
}
rmSync(dir, { recursive: true, force: true });
