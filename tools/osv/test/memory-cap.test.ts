// `-m` caps all guest memory (issue 13 part 2): the app's wasm memory counts against guest RAM,
// malloc returns NULL near -m less the kernel's share, and /proc/meminfo agrees with -m.
import { describe, expect, it } from 'vitest';
import { example, osv, watFile } from './osv-cli.js';

const figures = (stdout: string): { total: number; used: number; free: number } => {
  const m = /^Mem:\s+(\d+)\s+(\d+)\s+(\d+)/m.exec(stdout);
  if (!m) throw new Error(`no Mem: line in ${JSON.stringify(stdout)}`);
  return { total: Number(m[1]), used: Number(m[2]), free: Number(m[3]) };
};

describe('osv run -m caps the app', () => {
  it('-m 16M: malloc in 1 MiB steps stops near 16 MiB less the kernel share, and the app says so', () => {
    const r = osv(['run', '-m', '16M', example('memhog')]);
    expect(r.status).toBe(1);
    const m = /^memhog: malloc failed after (\d+) MiB: Out of memory\n$/.exec(r.stderr);
    expect(m).not.toBeNull();
    const got = Number(m![1]);
    // The kernel keeps ~1 MiB reserved plus what it allocated at boot (rings, buffers).
    expect(got).toBeGreaterThanOrEqual(12);
    expect(got).toBeLessThan(16);
  });

  it('-m 8M: a 100 MiB malloc fails (it succeeded before the cap)', () => {
    const r = osv(['run', '-m', '8M', example('memhog'), '100']);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe('memhog: malloc(100 MiB) failed: Out of memory\n');
    expect(osv(['run', '-m', '128M', example('memhog'), '100']).status).toBe(0);
  });

  it('free in the guest reads /proc/meminfo: total is -m, and free falls by what the app took', () => {
    const idle = osv(['run', '-m', '16M', example('free')]);
    expect(idle.status).toBe(0);
    const before = figures(idle.stdout.toString());
    expect(before.total).toBe(16 * 1024);
    expect(before.used + before.free).toBe(before.total);
    const busy = osv(['run', '-m', '16M', example('free'), '8']);
    expect(busy.status).toBe(0);
    const after = figures(busy.stdout.toString());
    expect(after.total).toBe(16 * 1024);
    expect(before.free - after.free).toBeGreaterThanOrEqual(8 * 1024);
    expect(before.free - after.free).toBeLessThan(9 * 1024);
    const other = figures(osv(['run', '-m', '48M', example('free')]).stdout.toString());
    expect(other.total).toBe(48 * 1024);
  });

  it('memory.grow returns -1 at the cap (no malloc involved), for defined and imported memories', () => {
    for (const memory of ['(memory (export "memory") 1)', '(import "env" "memory" (memory 1))']) {
      const app = watFile(`(module
        (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
        ${memory}
        (func (export "_start")
          (block $done (loop $more
            (br_if $done (i32.eq (memory.grow (i32.const 16)) (i32.const -1)))
            (br $more)))
          (call $exit (i32.div_u (memory.size) (i32.const 16)))))`);
      const r = osv(['run', '-m', '16M', app]);
      expect(r.stderr).toBe('');
      expect(r.status).toBeGreaterThanOrEqual(12);
      expect(r.status).toBeLessThan(16);
    }
  });

  it('an app that needs more memory at start than -m leaves it is refused in one line', () => {
    const app = watFile('(module (memory (export "memory") 512) (func (export "_start")))');
    const r = osv(['run', '-m', '16M', app]);
    expect(r.status).toBe(126);
    expect(r.stderr).toMatch(
      /^app\d+\.wasm: cannot start: the module needs 32 MiB of memory at start, more than the \d+(\.\d+)? MiB it may have \(guest RAM left after the kernel; give the VM more with -m\)\n$/,
    );
  });

  it('-m 4G boots (and meminfo says 4 GiB); more is refused with one line', () => {
    const r = osv(['run', '-m', '4G', example('free'), '-m']);
    expect(r.status).toBe(0);
    expect(figures(r.stdout.toString()).total).toBe(4096);
    for (const size of ['4097M', '5G', '100G']) {
      const big = osv(['run', '-m', size, example('hello')]);
      expect(big.status).toBe(2);
      // Refused as the option is read, naming it (the VMM's planGuestRam refuses it too).
      expect(big.stderr).toBe(`osv: -m ${size}: the largest guest RAM is 4G (guest physical addresses are 32 bits)\n`);
    }
  });
});
