#!/usr/bin/env node
// `npm run bench`: every benchmark runs osv-ts and a peer in this same run and prints the ratio
// (docs/architecture.md §6). Package benchmarks (packages/*/bench) are run through their `bench` scripts.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;
const RUNS = Number(process.env.BENCH_RUNS ?? 15);
const hello = join(root, 'examples/hello/hello.wasm');
const cli = join(root, 'tools/osv/bin/osv.js');

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

function wallMs(cmd, args) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return { ms, stderr: r.stderr.toString() };
}

const rows = [];
function row(name, ours, peer, peerName, unit = 'ms') {
  rows.push({ name, ours, peer, peerName, unit, ratio: ours / peer });
}

/**
 * Wall time, CPU time (user + system, all threads) and peak RSS of one command, from GNU time
 * (Debian's `time` package; /usr/bin/time), which writes them to a file of its own.
 */
function measured(cmd, args) {
  const out = join(tmpdir(), `osv-bench-time-${process.pid}`);
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-o', out, '-f', '%U %S %M', cmd, ...args], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const ms = performance.now() - t0;
  if (r.error) throw new Error(`/usr/bin/time: ${r.error.message} (apt-get install time)`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  const [user, sys, rssKiB] = readFileSync(out, 'utf8').trim().split('\n').pop().split(' ').map(Number);
  return { ms, cpuMs: (user + sys) * 1000, rssKiB, stderr: r.stderr.toString() };
}

// 1. `osv run hello.wasm` vs `node` running it with node:wasi, alternating the two: wall time,
//    CPU time, peak RSS; and the CLI alone (`osv --help`, `osv run --dry-run`) vs `node -e 0`.
{
  const osv = [];
  const node = [];
  const boot = [];
  const help = [];
  const dry = [];
  const bare = [];
  wallMs(process.execPath, [cli, 'run', hello]); // warm the kernel bundle cache
  for (let i = 0; i < RUNS; i++) {
    const r = measured(process.execPath, [cli, 'run', '--bootchart', hello]);
    osv.push(r);
    const total = /Total time: ([\d.]+)ms/.exec(r.stderr);
    const started = /vCPU started: ([\d.]+)ms/.exec(r.stderr);
    if (total && started) boot.push(Number(total[1]) - Number(started[1]));
    node.push(measured(process.execPath, ['--no-warnings', join(root, 'bench/node-wasi-run.mjs'), hello]));
    help.push(measured(process.execPath, [cli, '--help']));
    dry.push(measured(process.execPath, [cli, 'run', '--dry-run', hello]));
    bare.push(measured(process.execPath, ['-e', '0']));
  }
  const m = (runs, key) => median(runs.map((x) => x[key]));
  row('osv run hello.wasm, wall time', m(osv, 'ms'), m(node, 'ms'), 'node + node:wasi');
  row('osv run hello.wasm, CPU time', m(osv, 'cpuMs'), m(node, 'cpuMs'), 'node + node:wasi');
  row('osv run hello.wasm, peak RSS', m(osv, 'rssKiB') / 1024, m(node, 'rssKiB') / 1024, 'node + node:wasi', 'MiB');
  row('osv --help, wall time', m(help, 'ms'), m(bare, 'ms'), 'node -e 0');
  row('osv run --dry-run hello.wasm, wall time', m(dry, 'ms'), m(bare, 'ms'), 'node -e 0');
  // 2. In-guest boot to _start (bootchart: from the vCPU's first instruction to Total time),
  //    against the same interval OSv reports on Firecracker (~5 ms; a published figure, not run here).
  row('in-guest boot to _start (bootchart)', median(boot), 5, 'OSv on Firecracker (published ~5 ms)');
}

// 1b. A large real app's start: `yosys -V` from @yowasp/yosys (a 30 MB wasm), started again
//     after a first run (osv's kernel and CLI caches warm; node:wasi has no cache to warm), vs
//     node:wasi running the same file. Most of it is reading and compiling the module.
{
  const { createRequire } = await import('node:module');
  const yosys = join(createRequire(import.meta.url).resolve('@yowasp/yosys'), '../../gen/yosys.core.wasm');
  const peer = join(root, 'tools/osv/test/node-wasi-child.mjs');
  const osvArgs = [cli, 'run', '-m', '512M', yosys, '-V'];
  const peerArgs = ['--no-warnings', peer, yosys, tmpdir(), '-V'];
  measured(process.execPath, osvArgs);
  measured(process.execPath, peerArgs);
  const ours = [];
  const theirs = [];
  for (let i = 0; i < Math.min(RUNS, 7); i++) {
    ours.push(measured(process.execPath, osvArgs));
    theirs.push(measured(process.execPath, peerArgs));
  }
  const m = (runs, key) => median(runs.map((x) => x[key]));
  row('osv run yosys.core.wasm -V (30 MB), second start, wall', m(ours, 'ms'), m(theirs, 'ms'), 'node + node:wasi');
}

// 3. WASI call throughput and a 64 MiB sequential read (ramfs root), measured inside the same
//    wasm binary under osv-ts and under node:wasi (preopen / = a host temp dir on the host fs).
{
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const out = mkdtempSync(join(tmpdir(), 'wasi-bench-'));
  const wasm = join(out, 'wasi-bench.wasm');
  execFileSync('clang', [
    '--target=wasm32-wasi',
    '--sysroot=/usr',
    '-O2',
    '-o',
    wasm,
    join(root, 'bench/wasi/wasi-bench.c'),
  ]);
  const parse = (text) =>
    Object.fromEntries(
      text
        .trim()
        .split('\n')
        .map((l) => l.split(' '))
        .map(([k, v]) => [k, Number(v)]),
    );
  const runs = { osv: [], node: [] };
  for (let i = 0; i < Math.min(RUNS, 5); i++) {
    const o = spawnSync(process.execPath, [cli, 'run', '-m', '256M', wasm], { encoding: 'utf8' });
    const n = spawnSync(
      process.execPath,
      [
        '--no-warnings',
        join(root, 'tools/osv/test/node-wasi-child.mjs'),
        wasm,
        mkdtempSync(join(tmpdir(), 'wasi-root-')),
      ],
      { encoding: 'utf8' },
    );
    if (o.status !== 0 || n.status !== 0) throw new Error(`wasi-bench failed: ${o.stderr} ${n.stderr}`);
    runs.osv.push(parse(o.stdout));
    runs.node.push(parse(n.stdout));
  }
  for (const key of Object.keys(runs.osv[0])) {
    const ours = median(runs.osv.map((r) => r[key]));
    const peer = median(runs.node.map((r) => r[key]));
    if (key.endsWith('MBps'))
      row(`WASI ${key.replace('_MBps', '')} (ramfs), MB/s`, ours, peer, 'node:wasi on host fs', 'MB/s');
    else row(`WASI ${key}, ns/call`, ours, peer, 'node:wasi', 'ns');
  }
}

// 3b. Sequential read (1 MiB reads) of a 128 MiB file from a ROFS root on virtio-blk (osv run
//    --rootfs-image) against node:wasi reading the same file from the host's page cache; the
//    guest runs with its virtio-blk data path on a device thread (the default) and, to compare,
//    on the VMM's thread (OSV_DEVICE_THREADS=0). The three alternate, run by run.
{
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const out = mkdtempSync(join(tmpdir(), 'rofs-bench-'));
  const wasm = join(out, 'fsbench.wasm');
  execFileSync('clang', [
    '--target=wasm32-wasi',
    '--sysroot=/usr',
    '-O2',
    '-o',
    wasm,
    join(root, 'bench/fs/fsbench.c'),
  ]);
  const big = new Uint8Array(128 << 20);
  for (let i = 0; i < big.length; i += 4096) big[i] = i >>> 12;
  writeFileSync(join(out, 'big'), big);
  writeFileSync(join(out, 'usr.manifest'), `/big: big\n/fsbench.wasm: fsbench.wasm\n`);
  execFileSync(process.execPath, [cli, 'mkfs', 'rofs', join(out, 'usr.manifest'), '-o', join(out, 'rofs.img')], {
    stdio: 'ignore',
  });
  const rate = (r) => {
    if (r.status !== 0) throw new Error(`fsbench read failed: ${r.stderr}`);
    return Number(r.stdout.trim().split(' ')[2]);
  };
  const ours = [];
  const vmmThread = [];
  const peer = [];
  const guest = (threads) =>
    rate(
      spawnSync(
        process.execPath,
        [cli, 'run', '-m', '512M', '--rootfs-image', join(out, 'rofs.img'), '-e', '/fsbench.wasm read /'],
        { encoding: 'utf8', env: { ...process.env, OSV_DEVICE_THREADS: threads ? '1' : '0' } },
      ),
    );
  for (let i = 0; i < Math.min(RUNS, 5); i++) {
    ours.push(guest(true));
    vmmThread.push(guest(false));
    peer.push(
      rate(
        spawnSync(
          process.execPath,
          ['--no-warnings', join(root, 'tools/osv/test/node-wasi-child.mjs'), wasm, out, 'read', '/'],
          { encoding: 'utf8' },
        ),
      ),
    );
  }
  row(
    'WASI seq read 128 MiB (ROFS, blk device thread), MB/s',
    median(ours),
    median(peer),
    'node:wasi, page cache',
    'MB/s',
  );
  row(
    'WASI seq read 128 MiB (ROFS, blk on VMM thread), MB/s',
    median(vmmThread),
    median(peer),
    'node:wasi, page cache',
    'MB/s',
  );
}

// 4. Root file system mount at boot: the bootchart stage that mounts a ZFS root (pool osv,
//    dataset osv/zfs on virtio-blk) against the one that mounts a ROFS root, same app and files.
{
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const out = mkdtempSync(join(tmpdir(), 'root-bench-'));
  const stage = { rofs: [], zfs: [] };
  for (const fs of ['rofs', 'zfs']) {
    execFileSync(process.execPath, [cli, 'build', '--fs', fs, '--app', hello, '-o', join(out, `${fs}.img`)], {
      stdio: 'ignore',
    });
  }
  for (let i = 0; i < RUNS; i++) {
    for (const fs of ['rofs', 'zfs']) {
      const r = wallMs(process.execPath, [cli, 'run', '-i', join(out, `${fs}.img`), '-e', '--bootchart /hello.wasm']);
      const m = new RegExp(`${fs.toUpperCase()} mounted: [\\d.]+ms, \\(\\+([\\d.]+)ms\\)`).exec(r.stderr);
      if (!m) throw new Error(`no '${fs.toUpperCase()} mounted' stage in: ${r.stderr}`);
      stage[fs].push(Number(m[1]));
    }
  }
  row('root mount at boot: ZFS (osv/zfs)', median(stage.zfs), median(stage.rofs), 'ROFS root (OSv: ZFS 40-60 ms)');
}

// 5. ZFS in the guest against zfs-fuse: the same wasm (bench/fs/fsbench.c) writes a big file,
//    reads it back after a reboot/re-import (cold caches), and creates 10 000 small files — in an
//    osv-ts guest on a pool from `osv mkfs zfs`, and under node:wasi on zfs-fuse's FUSE mount.
{
  const { execFileSync } = await import('node:child_process');
  const { mkdtempSync, writeFileSync } = await import('node:fs');
  const { tmpdir } = await import('node:os');
  const { ZfsFuse } = await import('@osv-ts/test-support');
  const MB = Number(process.env.BENCH_ZFS_MB ?? 1024);
  const FILES = 10_000;
  const out = mkdtempSync(join(tmpdir(), 'zfs-bench-'));
  const wasm = join(out, 'fsbench.wasm');
  execFileSync('clang', [
    '--target=wasm32-wasi',
    '--sysroot=/usr',
    '-O2',
    '-o',
    wasm,
    join(root, 'bench/fs/fsbench.c'),
  ]);
  const parse = (text) => {
    const [what, ms, rate] = text.trim().split(' ');
    return { what, ms: Number(ms), rate: Number(rate) };
  };
  const poolMiB = Math.ceil(MB * 1.5) + 512;
  writeFileSync(join(out, 'empty.manifest'), '');
  const img = join(out, 'osv.img');
  execFileSync(
    process.execPath,
    [
      cli,
      'mkfs',
      'zfs',
      join(out, 'empty.manifest'),
      '-o',
      img,
      '--pool',
      'osvb',
      '--size',
      `${poolMiB}M`,
      '--compression',
      'off',
    ],
    { stdio: 'ignore' },
  );
  const guest = (...args) => {
    const r = spawnSync(
      process.execPath,
      [cli, 'run', '-m', '512M', '--disk', img, '--mount-fs=zfs,osvb,/p', wasm, ...args],
      { encoding: 'utf8' },
    );
    if (r.status !== 0) throw new Error(`fsbench ${args.join(' ')} in the guest failed: ${r.stderr}`);
    return parse(r.stdout);
  };
  const ours = {
    write: guest('write', '/p', String(MB)),
    read: guest('read', '/p'),
    small: guest('small', '/p', String(FILES)),
  };

  const zfs = new ZfsFuse();
  zfs.start();
  let peer;
  try {
    const vdev = join(zfs.dir, 'vdev');
    execFileSync('truncate', ['-s', `${poolMiB}M`, vdev]);
    const mnt = join(out, 'mnt');
    zfs.zpool('create', '-m', mnt, 'fuseb', vdev);
    const host = (...args) => {
      const r = spawnSync(
        process.execPath,
        ['--no-warnings', join(root, 'tools/osv/test/node-wasi-child.mjs'), wasm, mnt, ...args],
        { encoding: 'utf8' },
      );
      if (r.status !== 0) throw new Error(`fsbench ${args.join(' ')} under node:wasi failed: ${r.stderr}`);
      return parse(r.stdout);
    };
    const write = host('write', '/', String(MB));
    zfs.zpool('export', 'fuseb'); // cold ARC for the read, as the guest reads after a reboot
    zfs.zpool('import', '-d', zfs.dir, 'fuseb');
    peer = { write, read: host('read', '/'), small: host('small', '/', String(FILES)) };
  } finally {
    zfs.cleanup();
  }
  row(
    `ZFS sequential write ${MB} MiB, MB/s (guest vs zfs-fuse)`,
    ours.write.rate,
    peer.write.rate,
    'zfs-fuse via FUSE + node:wasi',
    'MB/s',
  );
  row(
    `ZFS sequential read ${MB} MiB, MB/s (guest vs zfs-fuse)`,
    ours.read.rate,
    peer.read.rate,
    'zfs-fuse via FUSE + node:wasi',
    'MB/s',
  );
  row(
    `ZFS ${FILES} small files, files/s (guest vs zfs-fuse)`,
    ours.small.rate,
    peer.small.rate,
    'zfs-fuse via FUSE + node:wasi',
    'f/s',
  );
}

// 6. A host directory shared into the guest (osv run --share, virtio-fs) against node:wasi on the
//    same host directory: sequential write and read, stat of 10 000 files, timed inside the
//    program (boot excluded), and the wall time of a run that does nothing (boot + exit); as
//    shipped and with the settings of before the speed work (128 KiB requests, no cache).
{
  const { measureShare } = await import('../bench/share.mjs');
  for (const r of measureShare({ mib: Number(process.env.BENCH_SHARE_MB ?? 64), runs: Math.min(RUNS, 5) }))
    row(r.name, r.ours, r.peer, r.peerName, r.unit);
}

// Package benchmarks that exist print their own tables.
for (const dir of ['packages', 'tools']) {
  for (const name of readdirSync(join(root, dir))) {
    const pkg = join(root, dir, name, 'package.json');
    if (!existsSync(pkg) || !JSON.parse(readFileSync(pkg, 'utf8')).scripts?.bench) continue;
    process.stdout.write(`\n--- ${dir}/${name}: npm run bench\n`);
    spawnSync('npm', ['run', '--silent', 'bench'], { cwd: join(root, dir, name), stdio: 'inherit' });
  }
}

process.stdout.write(`\nosv-ts benchmarks (median of ${RUNS} runs, node ${process.version})\n`);
const w = Math.max(...rows.map((r) => r.name.length));
for (const r of rows) {
  process.stdout.write(
    `${r.name.padEnd(w)}  ${r.ours.toFixed(2).padStart(8)} ${r.unit}  vs ${r.peer.toFixed(2).padStart(8)} ${r.unit} ${r.peerName}  ratio ${r.ratio.toFixed(2)}x\n`,
  );
}
