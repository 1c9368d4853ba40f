// An in-memory file tree that the image writers take (ROFS, bootfs) and the manifest parser
// produces. Children keep insertion order (a Map), which is the order OSv's image scripts
// write entries in: Python dicts keep insertion order and overwriting a key keeps its place,
// exactly as Map.set does.

export interface ImageFile {
  readonly kind: 'file';
  /** The bytes, or a function that reads them when the writer gets to this file. */
  readonly data: Uint8Array | (() => Uint8Array);
}

export interface ImageDir {
  readonly kind: 'dir';
  readonly children: Map<string, ImageNode>;
}

export interface ImageSymlink {
  readonly kind: 'symlink';
  readonly target: string;
}

export type ImageNode = ImageFile | ImageDir | ImageSymlink;

export function imageDir(entries: Iterable<[string, ImageNode]> = []): ImageDir {
  return { kind: 'dir', children: new Map(entries) };
}

export function imageFile(data: Uint8Array | string | (() => Uint8Array)): ImageFile {
  return { kind: 'file', data: typeof data === 'string' ? new TextEncoder().encode(data) : data };
}

export function imageSymlink(target: string): ImageSymlink {
  return { kind: 'symlink', target };
}

export function fileBytes(f: ImageFile): Uint8Array {
  return typeof f.data === 'function' ? f.data() : f.data;
}
