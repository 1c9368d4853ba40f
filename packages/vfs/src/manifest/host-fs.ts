// What the manifest tools need from the host's file system, injected so this package stays
// isomorphic (tools/osv passes an adapter over node:fs; tests pass an in-memory map).

export type HostFileKind = 'file' | 'dir' | 'symlink' | 'other';

export interface HostFs {
  /** Kind of `path` without following a final symlink (lstat), or undefined if it does not exist. */
  lstat(path: string): HostFileKind | undefined;
  /** Kind of `path` following symlinks (stat), or undefined if it does not exist (or dangles). */
  stat(path: string): HostFileKind | undefined;
  /**
   * Names in directory `path`, without "." and "..", in the host's directory order (what
   * Python's os.scandir returns; node's fs.opendirSync + readSync gives that order, whereas
   * fs.readdirSync sorts). Image bytes match OSv's scripts only with the same order.
   */
  readdir(path: string): string[];
  readlink(path: string): string;
  /** The canonical absolute path (every symlink resolved, realpath(3)); undefined if it dangles. */
  realpath(path: string): string | undefined;
  /**
   * The file's bytes. With `noFollow`, a final component that is a symlink is an error instead
   * of being followed (O_NOFOLLOW): a file found as regular by lstat is read as that file.
   */
  readFile(path: string, options?: { readonly noFollow?: boolean }): Uint8Array;
}
