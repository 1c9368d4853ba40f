// A sleeping app leaves the vCPU idle in Atomics.wait and the VMM parked in Atomics.waitAsync:
// the osv process uses (almost) no CPU while the guest sleeps 2 s.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { CLI, example } from './osv-cli.js';

/** utime + stime of a process in seconds (proc(5): fields 14 and 15, in clock ticks). */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(fields[11]) + Number(fields[12])) / 100; // USER_HZ is 100 on Linux
}

describe('idle guest', () => {
  it('costs under 5% of a core while the app sleeps 2 s', async () => {
    const child = spawn(process.execPath, [CLI, 'run', example('sleep'), '2000'], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    const marks: { at: number; cpu: number }[] = [];
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      // Sample when each line arrives: "sleeping" starts the window, "awake" ends it.
      const lines = out.split('\n').length - 1;
      while (marks.length < lines) marks.push({ at: performance.now(), cpu: cpuSeconds(child.pid!) });
    });
    const status = await new Promise<number | null>((r) => child.on('exit', r));
    expect(status).toBe(0);
    expect(out).toBe('sleeping 2000 ms\nawake\n');
    expect(marks.length).toBe(2);
    const wallS = (marks[1]!.at - marks[0]!.at) / 1000;
    const cpuS = marks[1]!.cpu - marks[0]!.cpu;
    expect(wallS).toBeGreaterThan(1.9);
    expect(cpuS / wallS).toBeLessThan(0.05);
  }, 60_000);
});
