// The guest side of a manifest line: an absolute path of plain names. OSv's scripts split the
// path on "/" and store whatever comes out, so "/../../etc/x" gives a ROFS root holding an
// entry named ".." and "/a//b" or "/a/" an entry with an empty name: images the kernel then
// refuses or misreads. Here such paths are errors, before any image is written.
//  - the path starts with "/"; "/" itself is the root;
//  - no component is empty (no "//", no trailing "/"), "." or "..";
//  - no NUL (it ends a name in every on-disk format).

/** The components of a valid guest path ("/" → []), or why it is not one. */
export function guestPathComponents(path: string): { components: string[] } | { error: string } {
  if (!path.startsWith('/')) return { error: `guest path ${JSON.stringify(path)} is not absolute (start it with "/")` };
  if (path.includes('\0')) return { error: `guest path ${JSON.stringify(path)} contains a NUL byte` };
  if (path === '/') return { components: [] };
  const components = path.slice(1).split('/');
  for (const c of components) {
    if (c === '')
      return {
        error: `guest path ${JSON.stringify(path)} has an empty component (a "//" or a trailing "/")`,
      };
    if (c === '.' || c === '..')
      return { error: `guest path ${JSON.stringify(path)} has a "${c}" component; write the path without it` };
  }
  return { components };
}
