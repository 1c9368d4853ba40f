// Sequential read of a 64 MiB file through the VFS (ramfs, and ROFS over a memory block
// device), against node:fs reading the same bytes from the host file system, in 64 KiB reads.
// Prints MiB/s and the ratio osv-ts time / node:fs time (lower is better; 1.0 = parity).
// Run: npm run bench (builds dist first).
import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemoryBlockDevice, O_CREAT, O_RDONLY, O_WRONLY, RamFs, Rofs, Vfs } from '../dist/index.js';
import { imageDir, imageFile, writeRofsImage } from '../dist/rofs-writer.js';

const SIZE = 64 * 1024 * 1024;
let CHUNK = 64 * 1024;
const ROUNDS = 9;

const clock = {
  resolutionNs: 1,
  monotonicNs: () => performance.now() * 1e6,
  realtimeNs: () => BigInt(Date.now()) * 1_000_000n,
};

const data = new Uint8Array(SIZE);
for (let i = 0; i < SIZE; i += 4096) data[i] = i >>> 12;

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function time(fn) {
  const runs = [];
  for (let r = 0; r < ROUNDS; r++) {
    const t0 = performance.now();
    const n = fn();
    runs.push(performance.now() - t0);
    if (n !== SIZE) throw new Error(`read ${n} bytes, expected ${SIZE}`);
  }
  return median(runs);
}

function readVfsFile(vfs, path) {
  const buf = new Uint8Array(CHUNK);
  return () => {
    const f = vfs.open(path, O_RDONLY);
    let total = 0;
    for (let n; (n = f.read(buf)) > 0;) total += n;
    f.close();
    return total;
  };
}

const dir = mkdtempSync(join(tmpdir(), 'osv-vfs-bench-'));
const hostPath = join(dir, 'big.bin');
writeFileSync(hostPath, data);

const ram = new Vfs({ clock });
ram.mountRoot(new RamFs());
const w = ram.open('/big.bin', O_WRONLY | O_CREAT, 0o644);
for (let off = 0; off < SIZE; off += 65536) w.write(data.subarray(off, off + 65536));
w.close();

const image = writeRofsImage(imageDir([['big.bin', imageFile(data)]]));
const rofs = new Vfs({ clock });
rofs.mountRoot(new Rofs(new MemoryBlockDevice(image, 'vblk0.1', true)));

const mibs = (ms) => (SIZE / 1048576 / (ms / 1000)).toFixed(0);
for (const chunk of [64 * 1024, 4 * 1024]) {
  CHUNK = chunk;
  const hostBuf = new Uint8Array(CHUNK);
  const hostMs = time(() => {
    const fd = openSync(hostPath, 'r');
    let total = 0;
    for (let n; (n = readSync(fd, hostBuf, 0, CHUNK, null)) > 0;) total += n;
    closeSync(fd);
    return total;
  });
  const ramMs = time(readVfsFile(ram, '/big.bin'));
  const rofsMs = time(readVfsFile(rofs, '/big.bin'));
  const rows = [
    ['node:fs (host)', hostMs, 1],
    ['osv-ts ramfs', ramMs, ramMs / hostMs],
    ['osv-ts rofs (memory blockdev)', rofsMs, rofsMs / hostMs],
  ];
  console.log(`sequential read, 64 MiB in ${CHUNK / 1024} KiB reads, median of ${ROUNDS}`);
  for (const [name, ms, ratio] of rows) {
    console.log(
      `  ${name.padEnd(32)} ${ms.toFixed(1).padStart(8)} ms ${mibs(ms).padStart(7)} MiB/s  ratio ${ratio.toFixed(2)}`,
    );
  }
}
rmSync(dir, { recursive: true });
