// The receive half of a TAP back-end on a device thread (vhost-net's rx worker): a Worker that
// blocks in read(2) on the FIFO osv-tap-relay writes the TAP's frames to, cuts the stream into
// frames, copies each into the FrameRing the device thread drains, and rings the device's
// doorbell word with BACKEND_WAKE_BIT. No event loop stands between the relay and the device:
// a frame wakes this thread in the kernel's pipe wake-up, and this thread wakes the device's.
// A full ring holds the reader (and so the relay, and the TAP's queue behind it), as a NIC out
// of descriptors holds the wire. It ends when the relay closes the FIFO (it exited).
import { closeSync, openSync, readSync } from 'node:fs';
import { workerData } from 'node:worker_threads';
import { BACKEND_WAKE_BIT } from '../device-thread/thread-control.js';
import { FrameRing } from './frame-ring.js';
import { FrameStreamDecoder, MAX_STREAM_FRAME_BYTES } from './frame-stream.js';

export interface TapReaderData {
  readonly fifoPath: string;
  readonly ring: SharedArrayBuffer;
  /** Guest RAM, and the word index of the device's QueueNotify register. */
  readonly ram: SharedArrayBuffer;
  readonly notifyIndex: number;
  readonly headerBytes: number;
}

const data = workerData as TapReaderData;
const ring = new FrameRing(data.ring);
const words = new Int32Array(data.ram);
const head = ring.headIndex;

const decoder = new FrameStreamDecoder((frame) => {
  while (!ring.push(frame)) {
    // Wait for the device thread to drain (it notifies on the head index as it pops).
    Atomics.wait(head.words, head.index, Atomics.load(head.words, head.index), 5);
  }
  Atomics.or(words, data.notifyIndex, BACKEND_WAKE_BIT);
  Atomics.notify(words, data.notifyIndex);
}, MAX_STREAM_FRAME_BYTES + data.headerBytes);

const fd = openSync(data.fifoPath, 'r');
const chunk = new Uint8Array(256 * 1024);
try {
  for (;;) {
    const n = readSync(fd, chunk, 0, chunk.length, null);
    if (n === 0) break;
    decoder.push(chunk.subarray(0, n));
  }
} finally {
  closeSync(fd);
}
