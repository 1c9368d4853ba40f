// Entropy from the platform's CSPRNG (crypto.getRandomValues, a web standard), the vCPU's
// RDRAND. virtio-rng, when linked, replaces it as the source behind /dev/random.
import type { Entropy } from '@osv-ts/kernel-api';

export class CpuEntropy implements Entropy {
  fill(buf: Uint8Array): void {
    for (let off = 0; off < buf.length; off += 65536) {
      globalThis.crypto.getRandomValues(buf.subarray(off, Math.min(buf.length, off + 65536)));
    }
  }
}
