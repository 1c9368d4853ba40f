// `osv run --share HOSTDIR:/guest[:ro]` end to end: a WASI C program (clang + wasi-libc) writes
// through a virtio-fs share and the host sees the file; on a read-only share the same write is
// refused with EROFS and the host directory stays as it was.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { osv } from './osv-cli.js';

const APP_C = `
#include <errno.h>
#include <stdio.h>
#include <string.h>
int main(int argc, char **argv) {
  FILE *in = fopen("/data/in.txt", "r");
  char line[64] = {0};
  if (!in || !fgets(line, sizeof line, in)) return 3;
  fclose(in);
  FILE *f = fopen("/data/out.txt", "w");
  if (!f) {
    int e = errno;
    printf("open: %s\\n", strerror(e));
    return e == EROFS ? 30 : 1;
  }
  fprintf(f, "guest read: %s", line);
  return fclose(f) == 0 ? 0 : 2;
}
`;

// 16 MiB written and read back in 64 KiB calls: many requests, all on the device thread.
const SEQ_C = `
#include <stdio.h>
#include <string.h>
int main(void) {
  static char buf[1 << 16];
  memset(buf, 7, sizeof buf);
  FILE *f = fopen("/data/big.bin", "w");
  if (!f) return 1;
  for (int i = 0; i < 256; i++)
    if (fwrite(buf, 1, sizeof buf, f) != sizeof buf) return 2;
  if (fclose(f) != 0) return 3;
  f = fopen("/data/big.bin", "r");
  size_t n, total = 0;
  while ((n = fread(buf, 1, sizeof buf, f)) > 0) total += n;
  fclose(f);
  printf("%zu\\n", total);
  return 0;
}
`;

let dir: string;
let app: string;
let seq: string;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'osv-share-'));
  writeFileSync(join(dir, 'app.c'), APP_C);
  app = join(dir, 'app.wasm');
  try {
    execFileSync('clang', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-o', app, join(dir, 'app.c')]);
    writeFileSync(join(dir, 'seq.c'), SEQ_C);
    seq = join(dir, 'seq.wasm');
    execFileSync('clang', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-o', seq, join(dir, 'seq.c')]);
  } catch (e) {
    throw new Error(`clang for wasm32-wasi is needed (scripts/setup-system.sh installs it): ${(e as Error).message}`);
  }
});

function shareDir(name: string): string {
  const d = join(dir, name);
  mkdirSync(d);
  writeFileSync(join(d, 'in.txt'), 'from the host\n');
  return d;
}

describe('osv run --share', () => {
  it('the app writes /data/out.txt and the host sees it', () => {
    const x = shareDir('rw');
    const r = osv(['run', '--share', `${x}:/data`, app]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(readFileSync(join(x, 'out.txt'), 'utf8')).toBe('guest read: from the host\n');
  });

  it('keeps one FUSE session from the first request to the last (16 MiB each way)', () => {
    const x = shareDir('seq');
    const r = osv(['run', '--share', `${x}:/data`, seq]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('16777216\n');
    expect(statSync(join(x, 'big.bin')).size).toBe(16 << 20);
  });

  it('a read-only share refuses the write with EROFS', () => {
    const x = shareDir('ro');
    const r = osv(['run', '--share', `${x}:/data:ro`, app]);
    expect(r.stdout.toString()).toBe('open: Read-only file system\n');
    expect(r.status).toBe(30);
    expect(existsSync(join(x, 'out.txt'))).toBe(false);
  });

  it('refuses a share that is not a directory, before booting', () => {
    const r = osv(['run', '--share', `${join(dir, 'app.c')}:/data`, app]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--share .*app\.c:\/data: .* is not a directory/);
  });
});
