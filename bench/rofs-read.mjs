#!/usr/bin/env node
// ROFS sequential read (bench/fs/fsbench.c: 1 MiB reads of /big) in an osv-ts guest with its
// virtio-blk data path on a device thread and on the VMM's thread (OSV_DEVICE_THREADS), beside
// node:wasi reading the same file from the host's page cache; the three alternate, run by run,
// and the ratios are against node:wasi. Row 3b of `npm run bench`, on its own (build first).
// Usage: node bench/rofs-read.mjs [MiB=128] [runs=5]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const MIB = Number(process.argv[2] ?? 128);
const RUNS = Number(process.argv[3] ?? 5);
const cli = join(root, 'tools/osv/bin/osv.js');
const out = mkdtempSync(join(tmpdir(), 'rofs-read-'));
const wasm = join(out, 'fsbench.wasm');
execFileSync('clang', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-o', wasm, join(root, 'bench/fs/fsbench.c')]);
const big = new Uint8Array(MIB << 20);
for (let i = 0; i < big.length; i += 4096) big[i] = i >>> 12;
writeFileSync(join(out, 'big'), big);
writeFileSync(join(out, 'usr.manifest'), `/big: big\n/fsbench.wasm: fsbench.wasm\n`);
execFileSync(process.execPath, [cli, 'mkfs', 'rofs', join(out, 'usr.manifest'), '-o', join(out, 'rofs.img')], {
  stdio: 'ignore',
});

/** MB/s from fsbench's "read <ms> <MB/s>" line. */
const rate = (r) => {
  if (r.status !== 0) throw new Error(`fsbench read failed: ${r.stderr}`);
  return Number(r.stdout.trim().split(' ')[2]);
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const guest = (threads) =>
  rate(
    spawnSync(
      process.execPath,
      [cli, 'run', '-m', '512M', '--rootfs-image', join(out, 'rofs.img'), '-e', '/fsbench.wasm read /'],
      { encoding: 'utf8', env: { ...process.env, OSV_DEVICE_THREADS: threads ? '1' : '0' } },
    ),
  );
const peer = () =>
  rate(
    spawnSync(
      process.execPath,
      ['--no-warnings', join(root, 'tools/osv/test/node-wasi-child.mjs'), wasm, out, 'read', '/'],
      { encoding: 'utf8' },
    ),
  );

const runs = { 'blk device thread': [], 'blk on VMM thread': [], 'node:wasi': [] };
try {
  for (let i = 0; i < RUNS; i++) {
    runs['blk device thread'].push(guest(true));
    runs['blk on VMM thread'].push(guest(false));
    runs['node:wasi'].push(peer());
  }
} finally {
  rmSync(out, { recursive: true, force: true });
}
const base = median(runs['node:wasi']);
console.log(`ROFS sequential read of ${MIB} MiB in 1 MiB reads, median of ${RUNS} (ratio = / node:wasi)`);
for (const [name, xs] of Object.entries(runs))
  console.log(
    `${name.padEnd(18)} ${median(xs).toFixed(0).padStart(6)} MB/s  ratio ${(median(xs) / base).toFixed(2)}  (runs: ${xs.map((x) => x.toFixed(0)).join(' ')})`,
  );
