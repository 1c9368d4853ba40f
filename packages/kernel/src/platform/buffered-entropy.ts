// random_get fed by a device (virtio-rng, virtio 1.2 §5.4): every device request is a virtqueue
// round trip through the host, so small requests are served from a 4 KiB buffer that the device
// refills. Bytes are handed out once and then forgotten; nothing is stretched or reused.
import type { Entropy } from '@osv-ts/kernel-api';

const BUFFER_BYTES = 4096;

export class BufferedEntropy implements Entropy {
  private readonly buffer = new Uint8Array(BUFFER_BYTES);
  private available = 0;
  /** Device requests made (for tests and `osv run -V`). */
  refills = 0;

  constructor(private readonly source: Entropy) {}

  fill(buf: Uint8Array): void {
    if (buf.length >= BUFFER_BYTES) {
      this.refills++;
      this.source.fill(buf);
      return;
    }
    let done = 0;
    while (done < buf.length) {
      if (this.available === 0) {
        this.refills++;
        this.source.fill(this.buffer);
        this.available = BUFFER_BYTES;
      }
      const n = Math.min(this.available, buf.length - done);
      const start = BUFFER_BYTES - this.available;
      buf.set(this.buffer.subarray(start, start + n), done);
      this.buffer.fill(0, start, start + n); // handed out: not kept in memory
      this.available -= n;
      done += n;
    }
  }
}
