#!/usr/bin/env node
// A host directory shared into the guest (osv run --share, virtio-fs) against node:wasi on the
// same host directory: bench/fs/fsbench.c writes a file sequentially in 1 MiB writes (then
// fsync), reads it back in 1 MiB reads, and stats 10 000 small files, timing itself inside the
// program — so the I/O rows compare time inside the guest program with time inside the same
// program under node:wasi, boot and start-up excluded. The start-up row compares the wall time
// of a run that does nothing (`fsbench nop`): boot plus exit, the rest of a run's wall time.
// Each guest variant (SHARE_VARIANTS: as shipped, and before the speed work) and the peer
// alternate, run by run. Row 6 of `npm run bench`; on its own (build first):
//   node bench/share.mjs [MiB=64] [runs=5]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const cli = join(root, 'tools/osv/bin/osv.js');
const FILES = 10_000;

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Runs fsbench in a guest (`osv run --share dir:/data`) or under node:wasi (preopen / = dir). */
function fsbench(where, wasm, dir, args, env = process.env) {
  const argv =
    where === 'guest'
      ? [cli, 'run', '-m', '512M', '--share', `${dir}:/data`, wasm, args[0], '/data', ...args.slice(1)]
      : ['--no-warnings', join(root, 'tools/osv/test/node-wasi-child.mjs'), wasm, dir, args[0], '/', ...args.slice(1)];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, argv, { encoding: 'utf8', env });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`fsbench ${args.join(' ')} (${where}) failed: ${r.stderr}`);
  const [, ms, rate] = r.stdout.trim().split(' ');
  return { ms: Number(ms), rate: Number(rate), wallMs };
}

/**
 * The guest variants measured by default: as shipped, without read-ahead, and the settings of
 * before the speed work (128 KiB READ/WRITE, no entry/attr cache, no read-ahead;
 * share-devices.ts's knobs), in the same run.
 */
export const SHARE_VARIANTS = [
  { label: '', env: {} },
  { label: ' [no read-ahead]', env: { OSV_SHARE_READ_AHEAD_KIB: '0' } },
  {
    label: ' [128 KiB, no cache]',
    env: { OSV_SHARE_MAX_WRITE_KIB: '128', OSV_SHARE_CACHE_MS: '0', OSV_SHARE_READ_AHEAD_KIB: '0' },
  },
];

/**
 * The share rows, measured in this run: [{ name, ours, peer, peerName, unit }], one set per
 * guest variant ({ label, env }: extra environment for the guest) against the same peer.
 */
export function measureShare({ mib = 64, runs = 5, variants = SHARE_VARIANTS } = {}) {
  const out = mkdtempSync(join(tmpdir(), 'share-bench-'));
  try {
    const wasm = join(out, 'fsbench.wasm');
    execFileSync('clang', [
      '--target=wasm32-wasi',
      '--sysroot=/usr',
      '-O2',
      '-o',
      wasm,
      join(root, 'bench/fs/fsbench.c'),
    ]);
    // One host directory each, so neither sees the other's files; the small files are made on
    // the host (the stat rows measure stat, not creation).
    const dirs = { peer: join(out, 'peer') };
    variants.forEach((_, i) => (dirs[`guest${i}`] = join(out, `guest${i}`)));
    for (const d of Object.values(dirs)) {
      mkdirSync(join(d, 'small'), { recursive: true });
      const kib = new Uint8Array(1024).fill(120);
      for (let i = 0; i < FILES; i++) writeFileSync(join(d, 'small', `f${i}`), kib);
    }
    const m = Object.fromEntries(Object.keys(dirs).map((k) => [k, { write: [], read: [], stat: [], nop: [] }]));
    for (let i = 0; i < runs; i++) {
      for (const key of Object.keys(dirs)) {
        const where = key === 'peer' ? 'peer' : 'guest';
        const e = key === 'peer' ? process.env : { ...process.env, ...variants[Number(key.slice(5))].env };
        m[key].write.push(fsbench(where, wasm, dirs[key], ['write', String(mib)], e).rate);
        m[key].read.push(fsbench(where, wasm, dirs[key], ['read'], e).rate);
        m[key].stat.push(fsbench(where, wasm, dirs[key], ['stat', String(FILES)], e).rate);
        m[key].nop.push(fsbench(where, wasm, dirs[key], ['nop'], e).wallMs);
      }
    }
    const peerName = 'node:wasi, same host dir';
    return variants.flatMap(({ label }, v) => {
      const guest = m[`guest${v}`];
      return [
        {
          name: `share seq write ${mib} MiB (in-program time)${label}, MB/s`,
          ours: median(guest.write),
          peer: median(m.peer.write),
          peerName,
          unit: 'MB/s',
        },
        {
          name: `share seq read ${mib} MiB (in-program time)${label}, MB/s`,
          ours: median(guest.read),
          peer: median(m.peer.read),
          peerName,
          unit: 'MB/s',
        },
        {
          name: `share stat ${FILES} files (in-program time)${label}, files/s`,
          ours: median(guest.stat),
          peer: median(m.peer.stat),
          peerName,
          unit: 'f/s',
        },
        {
          name: `share run doing nothing (boot + exit)${label}, wall ms`,
          ours: median(guest.nop),
          peer: median(m.peer.nop),
          peerName,
          unit: 'ms',
        },
      ];
    });
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const mib = Number(process.argv[2] ?? 64);
  const runs = Number(process.argv[3] ?? 5);
  const rows = measureShare({ mib, runs });
  process.stdout.write(`share benchmarks (median of ${runs} runs, node ${process.version})\n`);
  const w = Math.max(...rows.map((r) => r.name.length));
  for (const r of rows)
    process.stdout.write(
      `${r.name.padEnd(w)}  ${r.ours.toFixed(2).padStart(9)} ${r.unit}  vs ${r.peer.toFixed(2).padStart(9)} ${r.unit} ${r.peerName}  ratio ${(r.ours / r.peer).toFixed(2)}x\n`,
    );
}
