// Benchmarks against the peer, zfs-fuse 0.7 through FUSE, in the same run (docs/architecture.md §6):
//   1. sequential write of one BENCH_MB-MiB file (osv-ts: createPool; zfs-fuse: write + export)
//   2. sequential read of that file (osv-ts: ZplFilesystem.read; zfs-fuse: read through FUSE)
//   3. 10 000 small files written, then all read back
//   4. the same writes on an opened pool through WritablePool/ZplWriter (1 MiB write calls, a txg
//      per 64 MiB; small files with a txg per 1 000) vs zfs-fuse's own txgs through FUSE
// Run: npm run bench (in packages/zfs). BENCH_MB (default 1024) sets the big file's size.
import { spawn, spawnSync } from 'node:child_process';
import {
  closeSync,
  existsSync,
  fstatSync,
  fsyncSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readFileSync,
  readSync,
  rmSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createPool, openPool, Dsl, ZplFilesystem, ZIO_COMPRESS, WritablePool } from '../dist/index.js';

const MB = Number(process.env.BENCH_MB ?? 1024);
const SMALL = 10_000;
const dir = mkdtempSync(join(tmpdir(), 'osv-zfs-bench-'));
const LOCK = '/tmp/osv-ts-zfs-fuse.lock';

class FileDev {
  constructor(name, readOnly) {
    this.name = name;
    this.readOnly = readOnly;
    this.sectorSizeBytes = 512;
    this.fd = openSync(name, readOnly ? 'r' : 'r+');
    this.sizeBytes = fstatSync(this.fd).size;
  }
  read(off, into) {
    let d = 0;
    while (d < into.length) d += readSync(this.fd, into, d, into.length - d, off + d);
  }
  write(off, data) {
    let d = 0;
    while (d < data.length) d += writeSync(this.fd, data, d, data.length - d, off + d);
  }
  flush() {
    fsyncSync(this.fd);
  }
  close() {
    closeSync(this.fd);
  }
}
const clock = {
  resolutionNs: 1,
  monotonicNs: () => performance.now() * 1e6,
  realtimeNs: () => BigInt(Date.now()) * 1_000_000n,
};
const entropy = { fill: (b) => crypto.getRandomValues(b) };
const sh = (cmd, args) => {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const sleep = (ms) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const time = (f) => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

function payload(n) {
  const b = new Uint8Array(n);
  for (let off = 0; off < n; off += 65536) crypto.getRandomValues(b.subarray(off, Math.min(n, off + 65536)));
  return b;
}

function vdev(name, sizeMb) {
  const p = join(dir, name);
  writeFileSync(p, '');
  truncateSync(p, sizeMb * 1024 * 1024);
  return p;
}

const poolMb = Math.max(256, Math.ceil(MB * 1.3) + 64);
const big = payload(MB * 1024 * 1024);
const smallTree = {
  kind: 'dir',
  children: new Map(
    Array.from({ length: SMALL }, (_, i) => [
      `f${i}`,
      { kind: 'file', data: new TextEncoder().encode(`small file ${i}\n`) },
    ]),
  ),
};
const rows = [];

// ---- osv-ts -------------------------------------------------------------------------------------
const oBig = vdev('o-big', poolMb);
let dev = new FileDev(oBig, false);
const oWrite = time(() => {
  createPool(
    dev,
    { kind: 'dir', children: new Map([['big', { kind: 'file', data: big }]]) },
    { name: 'obig', clock, entropy, compression: ZIO_COMPRESS.OFF },
  );
});
dev.close();
dev = new FileDev(oBig, true);
let oRead;
{
  const pool = openPool([dev], { arcBytes: 32 << 20 });
  const dsl = new Dsl(pool);
  const fs = new ZplFilesystem(dsl.objset(dsl.find('obig')));
  const obj = fs.resolve('/big');
  oRead = time(() => {
    for (let off = 0; off < big.length; off += 1 << 20) fs.read(obj, off, 1 << 20);
  });
}
dev.close();
const oSmall = vdev('o-small', 256);
dev = new FileDev(oSmall, false);
const oSmallWrite = time(() => createPool(dev, smallTree, { name: 'osmall', clock, entropy }));
dev.close();
dev = new FileDev(oSmall, true);
const oSmallRead = time(() => {
  const pool = openPool([dev]);
  const dsl = new Dsl(pool);
  const fs = new ZplFilesystem(dsl.objset(dsl.find('osmall')));
  for (const e of fs.readdir(fs.rootObj)) fs.read(e.obj, 0, 64);
});
dev.close();

// Incremental: an empty pool opened for writing, written through the ZPL writer in many txgs.
const oInc = vdev('o-inc', poolMb);
dev = new FileDev(oInc, false);
createPool(dev, { kind: 'dir', children: new Map() }, { name: 'oinc', clock, entropy });
const oIncWrite = time(() => {
  const wp = new WritablePool([dev], { clock, entropy });
  const zpl = wp.filesystem();
  const obj = zpl.create(zpl.rootObj, 'big', 0o644);
  for (let off = 0; off < big.length; off += 1 << 20) {
    zpl.write(obj, off, big.subarray(off, Math.min(big.length, off + (1 << 20))));
    if ((off >> 20) % 64 === 63) wp.sync();
  }
  wp.sync();
});
dev.close();
const oIncSmall = vdev('o-incs', 256);
dev = new FileDev(oIncSmall, false);
createPool(dev, { kind: 'dir', children: new Map() }, { name: 'oincs', clock, entropy });
const oIncSmallWrite = time(() => {
  const wp = new WritablePool([dev], { clock, entropy });
  const zpl = wp.filesystem();
  let i = 0;
  for (const [name, f] of smallTree.children) {
    zpl.write(zpl.create(zpl.rootObj, name, 0o644), 0, f.data);
    if (++i % 1000 === 0) wp.sync();
  }
  wp.sync();
});
dev.close();

// ---- zfs-fuse -----------------------------------------------------------------------------------
while (true) {
  try {
    mkdirSync(LOCK);
    break;
  } catch {
    sleep(200);
  }
}
const daemon = spawn('zfs-fuse', ['-n', '--no-kstat-mount'], { stdio: 'ignore' });
try {
  for (let i = 0; i < 200 && spawnSync('zpool', ['list']).status !== 0; i++) sleep(100);
  const zBig = vdev('z-big', poolMb);
  const mnt = join(dir, 'zm');
  sh('zpool', ['create', '-m', mnt, 'zbig', zBig]);
  const zWrite = time(() => {
    const fd = openSync(join(mnt, 'big'), 'w');
    for (let off = 0; off < big.length; off += 1 << 20) writeSync(fd, big, off, Math.min(1 << 20, big.length - off));
    fsyncSync(fd);
    closeSync(fd);
    sh('zpool', ['export', 'zbig']);
  });
  sh('zpool', ['import', '-d', dir, 'zbig']);
  const zRead = time(() => {
    const fd = openSync(join(mnt, 'big'), 'r');
    const buf = new Uint8Array(1 << 20);
    while (readSync(fd, buf, 0, buf.length, null) > 0);
    closeSync(fd);
  });
  sh('zpool', ['export', 'zbig']);
  const zSmall = vdev('z-small', 256);
  const smnt = join(dir, 'zs');
  sh('zpool', ['create', '-m', smnt, 'zsmall', zSmall]);
  const zSmallWrite = time(() => {
    for (const [name, f] of smallTree.children) writeFileSync(join(smnt, name), f.data);
    sh('zpool', ['export', 'zsmall']);
  });
  sh('zpool', ['import', '-d', dir, 'zsmall']);
  const zSmallRead = time(() => {
    for (const name of smallTree.children.keys()) readFileSync(join(smnt, name));
  });
  sh('zpool', ['export', 'zsmall']);
  rows.push([
    'sequential write',
    `${MB} MiB`,
    (MB / (oWrite / 1000)).toFixed(1),
    (MB / (zWrite / 1000)).toFixed(1),
    'MiB/s',
    zWrite / oWrite,
  ]);
  rows.push([
    'sequential read',
    `${MB} MiB`,
    (MB / (oRead / 1000)).toFixed(1),
    (MB / (zRead / 1000)).toFixed(1),
    'MiB/s',
    zRead / oRead,
  ]);
  rows.push([
    'small files write',
    `${SMALL} files`,
    oSmallWrite.toFixed(0),
    zSmallWrite.toFixed(0),
    'ms',
    zSmallWrite / oSmallWrite,
  ]);
  rows.push([
    'incremental write',
    `${MB} MiB`,
    (MB / (oIncWrite / 1000)).toFixed(1),
    (MB / (zWrite / 1000)).toFixed(1),
    'MiB/s',
    zWrite / oIncWrite,
  ]);
  rows.push([
    'incremental small',
    `${SMALL} files`,
    oIncSmallWrite.toFixed(0),
    zSmallWrite.toFixed(0),
    'ms',
    zSmallWrite / oIncSmallWrite,
  ]);
  rows.push([
    'small files read',
    `${SMALL} files`,
    oSmallRead.toFixed(0),
    zSmallRead.toFixed(0),
    'ms',
    zSmallRead / oSmallRead,
  ]);
} finally {
  daemon.kill('SIGTERM');
  for (
    let i = 0;
    i < 100 && existsSync(`/proc/${daemon.pid}`) && !readFileSync(`/proc/${daemon.pid}/stat`, 'utf8').includes(') Z');
    i++
  )
    sleep(100);
  rmSync(LOCK, { recursive: true, force: true });
  rmSync(dir, { recursive: true, force: true });
}
console.log('benchmark            size          osv-ts    zfs-fuse  unit   speedup (osv-ts vs zfs-fuse)');
for (const [name, size, o, z, unit, ratio] of rows)
  console.log(
    `${name.padEnd(20)} ${size.padEnd(12)} ${o.padStart(8)} ${z.padStart(10)}  ${unit.padEnd(6)} ${ratio.toFixed(2)}x`,
  );
