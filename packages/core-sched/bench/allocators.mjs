// Page and small-object allocation: our buddy allocator and heap over guest RAM, against the
// host allocating the same sizes as ArrayBuffers (the JS engine's allocator + GC).
import { Heap, PAGE_SIZE, PageAllocator } from '../dist/index.js';
import { measure, row } from './measure.mjs';

const N = 100_000;
const LIVE = 1024;
const sizes = new Int32Array(N);
const smallSizes = new Int32Array(N);
let s = 99;
for (let i = 0; i < N; i++) {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  sizes[i] = PAGE_SIZE << (s % 4); // 1, 2, 4 or 8 pages
  smallSizes[i] = 8 + (s % 500);
}

function pages() {
  const pa = new PageAllocator(0, 64 << 20);
  const live = new Float64Array(LIVE);
  for (let i = 0; i < N; i++) {
    const slot = i % LIVE;
    if (i >= LIVE) pa.free(live[slot]);
    live[slot] = pa.alloc(sizes[i]);
  }
}

function hostPages() {
  const live = new Array(LIVE);
  for (let i = 0; i < N; i++) live[i % LIVE] = new ArrayBuffer(sizes[i]);
}

function heap() {
  const h = new Heap(new PageAllocator(0, 64 << 20));
  const live = new Float64Array(LIVE);
  for (let i = 0; i < N; i++) {
    const slot = i % LIVE;
    if (i >= LIVE) h.free(live[slot]);
    live[slot] = h.alloc(smallSizes[i]);
  }
}

function hostSmall() {
  const live = new Array(LIVE);
  for (let i = 0; i < N; i++) live[i % LIVE] = new ArrayBuffer(smallSizes[i]);
}

export function run() {
  return [
    row('page alloc+free (1-8 pages)', measure(pages, N), 'new ArrayBuffer(same)', measure(hostPages, N)),
    row('heap alloc+free (8-507 B)', measure(heap, N), 'new ArrayBuffer(same)', measure(hostSmall, N)),
  ];
}

if (import.meta.url === `file://${process.argv[1]}`) run();
