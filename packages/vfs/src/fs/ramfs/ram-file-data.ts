// Contents of a ramfs regular file: fixed-size chunks keyed by chunk index, so a file with
// holes (seek past the end and write, or ftruncate up) stores only the chunks written; holes
// read as zeros.
export const RAM_CHUNK_BYTES = 64 * 1024;

export class RamFileData {
  private readonly chunks = new Map<number, Uint8Array>();
  /** What adopt() took, while the file still holds exactly it (any change forgets it). */
  private adopted: Uint8Array | undefined;

  /** The whole content as adopted, while unchanged (RamFs.contentView). */
  get adoptedContent(): Uint8Array | undefined {
    return this.adopted;
  }

  get allocatedBytes(): number {
    return this.chunks.size * RAM_CHUNK_BYTES;
  }

  /** Bytes of new chunks a write of `length` bytes at `offset` would allocate. */
  growthBytes(offset: number, length: number): number {
    if (length === 0) return 0;
    const first = Math.floor(offset / RAM_CHUNK_BYTES);
    const last = Math.floor((offset + length - 1) / RAM_CHUNK_BYTES);
    if (first === last) return this.chunks.has(first) ? 0 : RAM_CHUNK_BYTES;
    let missing = 0;
    for (let i = first; i <= last; i++) if (!this.chunks.has(i)) missing++;
    return missing * RAM_CHUNK_BYTES;
  }

  /** Copies bytes [offset, offset + into.length) into `into` (caller clamps to the file size). */
  read(offset: number, into: Uint8Array): void {
    let done = 0;
    const n = into.length;
    while (done < n) {
      const pos = offset + done;
      const index = Math.floor(pos / RAM_CHUNK_BYTES);
      const within = pos - index * RAM_CHUNK_BYTES;
      const len = Math.min(n - done, RAM_CHUNK_BYTES - within);
      const chunk = this.chunks.get(index);
      if (chunk === undefined) into.fill(0, done, done + len);
      else into.set(chunk.subarray(within, within + len), done);
      done += len;
    }
  }

  write(offset: number, data: Uint8Array): void {
    this.adopted = undefined;
    // Within one existing chunk (small writes): one Map lookup, no subarray.
    const index = Math.floor(offset / RAM_CHUNK_BYTES);
    const within = offset - index * RAM_CHUNK_BYTES;
    if (within + data.length <= RAM_CHUNK_BYTES) {
      const chunk = this.chunks.get(index);
      if (chunk !== undefined) {
        chunk.set(data, within);
        return;
      }
    }
    let done = 0;
    const n = data.length;
    while (done < n) {
      const pos = offset + done;
      const index = Math.floor(pos / RAM_CHUNK_BYTES);
      const within = pos - index * RAM_CHUNK_BYTES;
      const len = Math.min(n - done, RAM_CHUNK_BYTES - within);
      let chunk = this.chunks.get(index);
      if (chunk === undefined) {
        chunk = new Uint8Array(RAM_CHUNK_BYTES);
        this.chunks.set(index, chunk);
      }
      chunk.set(data.subarray(done, done + len), within);
      done += len;
    }
  }

  /**
   * Takes `bytes` as the whole content of this (empty) file without copying it: each full chunk
   * is a view of `bytes`, so writes to the file change them; only a partial last chunk is
   * copied. For data the file system may keep for good, such as the bootfs archive in guest RAM
   * (which stays reserved after boot), so a large app is not copied at each boot.
   */
  adopt(bytes: Uint8Array): void {
    if (this.chunks.size !== 0) throw new Error('RamFileData.adopt: the file is not empty');
    const full = Math.floor(bytes.length / RAM_CHUNK_BYTES);
    for (let i = 0; i < full; i++) this.chunks.set(i, bytes.subarray(i * RAM_CHUNK_BYTES, (i + 1) * RAM_CHUNK_BYTES));
    if (bytes.length > full * RAM_CHUNK_BYTES) {
      const last = new Uint8Array(RAM_CHUNK_BYTES);
      last.set(bytes.subarray(full * RAM_CHUNK_BYTES));
      this.chunks.set(full, last);
    }
    this.adopted = bytes;
  }

  /** Drops everything at or after `size` (so a later extension reads zeros there). */
  truncate(size: number): void {
    this.adopted = undefined;
    const keep = Math.ceil(size / RAM_CHUNK_BYTES);
    for (const index of [...this.chunks.keys()]) {
      if (index >= keep) this.chunks.delete(index);
    }
    const within = size % RAM_CHUNK_BYTES;
    if (within !== 0) this.chunks.get(keep - 1)?.fill(0, within);
  }

  clear(): void {
    this.adopted = undefined;
    this.chunks.clear();
  }
}
