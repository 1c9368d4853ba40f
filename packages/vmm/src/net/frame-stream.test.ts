import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { FrameStreamDecoder, MAX_STREAM_FRAME_BYTES, encodeStreamFrame } from './frame-stream.js';

describe('QEMU stream framing', () => {
  it('gives back every frame whole, however the stream is cut into reads', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ minLength: 0, maxLength: 3000 }), { maxLength: 40 }),
        fc.array(fc.integer({ min: 1, max: 5000 }), { minLength: 1, maxLength: 20 }),
        (frames, cuts) => {
          const stream = Buffer.concat(frames.map((f) => encodeStreamFrame(f)));
          const got: Uint8Array[] = [];
          const d = new FrameStreamDecoder((f) => got.push(f));
          let off = 0;
          for (let i = 0; off < stream.length; i++) {
            const n = cuts[i % cuts.length]!;
            d.push(stream.subarray(off, off + n));
            off += n;
          }
          expect(got.map((f) => Buffer.from(f).toString('hex'))).toEqual(
            frames.map((f) => Buffer.from(f).toString('hex')),
          );
        },
      ),
      { numRuns: 200 },
    );
  });

  it('frames handed out stay intact when the decoder reuses its buffer', () => {
    const got: Uint8Array[] = [];
    const d = new FrameStreamDecoder((f) => got.push(f));
    for (let i = 0; i < 300; i++) d.push(encodeStreamFrame(new Uint8Array(1500).fill(i & 0xff)));
    expect(got).toHaveLength(300);
    got.forEach((f, i) => expect(f.every((b) => b === (i & 0xff))).toBe(true));
  });

  it('a length beyond any frame is a lost stream: counted and dropped, and the next frames decode', () => {
    const got: Uint8Array[] = [];
    const d = new FrameStreamDecoder((f) => got.push(f));
    const bad = new Uint8Array(8);
    new DataView(bad.buffer).setUint32(0, MAX_STREAM_FRAME_BYTES + 1);
    d.push(bad);
    expect(d.desyncs).toBe(1);
    d.push(encodeStreamFrame(Uint8Array.of(1, 2, 3)));
    expect(got.map((f) => [...f])).toEqual([[1, 2, 3]]);
  });
});
