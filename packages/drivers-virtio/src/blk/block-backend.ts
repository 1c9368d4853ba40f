// What a virtio-blk device model stores its sectors in: a memory buffer (tests), a raw or
// qcow2 file (the VMM), an OPFS file (browsers). Completion is a callback so that a back-end
// can answer at once (memory) or later (async file I/O on the VMM's thread), and several
// requests can be in flight.

/** Called once per operation; an error makes the request fail with VIRTIO_BLK_S_IOERR. */
export type BackendDone = (error?: Error) => void;

export interface BlockBackend {
  readonly sizeBytes: number;
  readonly readOnly: boolean;
  /** Fills `into` (a view of guest RAM) from `offsetBytes`. */
  read(offsetBytes: number, into: Uint8Array, done: BackendDone): void;
  /** Stores `data` (a view of guest RAM, valid until `done`) at `offsetBytes`. */
  write(offsetBytes: number, data: Uint8Array, done: BackendDone): void;
  /** Makes completed writes durable. */
  flush(done: BackendDone): void;
  /** The range's contents may be dropped; later reads return zeroes or the old data. */
  discard(offsetBytes: number, lengthBytes: number, done: BackendDone): void;
  /** The range reads back as zeroes afterwards. */
  writeZeroes(offsetBytes: number, lengthBytes: number, done: BackendDone): void;
  /** Releases host resources (file handles). */
  close?(): void;
}

export class BackendError extends Error {
  override readonly name = 'BackendError';
}

/** A disk held in memory; answers synchronously, so it also works on a single thread. */
export class MemoryBlockBackend implements BlockBackend {
  readonly bytes: Uint8Array;

  constructor(
    sizeOrBytes: number | Uint8Array,
    readonly readOnly = false,
  ) {
    this.bytes = typeof sizeOrBytes === 'number' ? new Uint8Array(sizeOrBytes) : sizeOrBytes;
  }

  get sizeBytes(): number {
    return this.bytes.length;
  }

  read(offsetBytes: number, into: Uint8Array, done: BackendDone): void {
    if (!this.inRange(offsetBytes, into.length))
      return done(new BackendError(`read beyond end: ${offsetBytes}+${into.length}`));
    into.set(this.bytes.subarray(offsetBytes, offsetBytes + into.length));
    done();
  }

  write(offsetBytes: number, data: Uint8Array, done: BackendDone): void {
    if (this.readOnly) return done(new BackendError('read-only'));
    if (!this.inRange(offsetBytes, data.length))
      return done(new BackendError(`write beyond end: ${offsetBytes}+${data.length}`));
    this.bytes.set(data, offsetBytes);
    done();
  }

  flush(done: BackendDone): void {
    done();
  }

  discard(offsetBytes: number, lengthBytes: number, done: BackendDone): void {
    this.writeZeroes(offsetBytes, lengthBytes, done);
  }

  writeZeroes(offsetBytes: number, lengthBytes: number, done: BackendDone): void {
    if (this.readOnly) return done(new BackendError('read-only'));
    if (!this.inRange(offsetBytes, lengthBytes))
      return done(new BackendError(`zeroes beyond end: ${offsetBytes}+${lengthBytes}`));
    this.bytes.fill(0, offsetBytes, offsetBytes + lengthBytes);
    done();
  }

  private inRange(offset: number, length: number): boolean {
    return offset >= 0 && length >= 0 && offset + length <= this.bytes.length;
  }
}

export interface FaultPlan {
  /** Whether the operation on [offset, offset+length) fails. */
  fails(op: 'read' | 'write' | 'flush' | 'discard' | 'write-zeroes', offsetBytes: number, lengthBytes: number): boolean;
}

export type FaultOp = Parameters<FaultPlan['fails']>[0];

/** A byte range where one kind of operation fails. */
export interface FaultRange {
  readonly op: FaultOp;
  readonly startBytes: number;
  readonly endBytes: number;
}

/**
 * A plan that is plain data (so a device thread can take it along): an operation fails when it
 * touches one of the ranges given for its kind.
 */
export class FaultRanges implements FaultPlan {
  constructor(readonly ranges: readonly FaultRange[]) {}

  fails(op: FaultOp, offsetBytes: number, lengthBytes: number): boolean {
    for (const r of this.ranges)
      if (r.op === op && offsetBytes < r.endBytes && offsetBytes + Math.max(lengthBytes, 1) > r.startBytes) return true;
    return false;
  }
}

/** Wraps a back-end and fails the operations a plan picks (a dying disk, for tests). */
export class FaultInjectingBackend implements BlockBackend {
  injected = 0;

  constructor(
    readonly inner: BlockBackend,
    public plan: FaultPlan,
  ) {}

  get sizeBytes(): number {
    return this.inner.sizeBytes;
  }

  get readOnly(): boolean {
    return this.inner.readOnly;
  }

  read(offsetBytes: number, into: Uint8Array, done: BackendDone): void {
    if (this.fault('read', offsetBytes, into.length, done)) return;
    this.inner.read(offsetBytes, into, done);
  }

  write(offsetBytes: number, data: Uint8Array, done: BackendDone): void {
    if (this.fault('write', offsetBytes, data.length, done)) return;
    this.inner.write(offsetBytes, data, done);
  }

  flush(done: BackendDone): void {
    if (this.fault('flush', 0, 0, done)) return;
    this.inner.flush(done);
  }

  discard(offsetBytes: number, lengthBytes: number, done: BackendDone): void {
    if (this.fault('discard', offsetBytes, lengthBytes, done)) return;
    this.inner.discard(offsetBytes, lengthBytes, done);
  }

  writeZeroes(offsetBytes: number, lengthBytes: number, done: BackendDone): void {
    if (this.fault('write-zeroes', offsetBytes, lengthBytes, done)) return;
    this.inner.writeZeroes(offsetBytes, lengthBytes, done);
  }

  close(): void {
    this.inner.close?.();
  }

  private fault(op: Parameters<FaultPlan['fails']>[0], offset: number, length: number, done: BackendDone): boolean {
    if (!this.plan.fails(op, offset, length)) return false;
    this.injected++;
    done(new BackendError(`injected ${op} fault at ${offset}+${length}`));
    return true;
  }
}
