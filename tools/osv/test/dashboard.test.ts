// The dashboard at /dashboard/ of osv run --api, in Debian's chromium (playwright-core): the
// guest's uptime, memory, threads, mounts and interfaces appear and update live. A screenshot
// is kept in tools/osv/test-results/dashboard.png. Boots a VM: run under the interop lock.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { CLI, REPO, example } from './osv-cli.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

describe('the dashboard', () => {
  it('shows the guest live in Chromium', async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium`);
    const port = await freePort();
    const vm = spawn(process.execPath, [CLI, 'run', `--api=127.0.0.1:${port}`, example('sleep'), '60000'], {
      stdio: 'ignore',
    });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1280, height: 1000 } });
      const url = `http://127.0.0.1:${port}/dashboard/`;
      for (let i = 0; ; i++) {
        try {
          await page.goto(url);
          break;
        } catch (e) {
          if (i > 60) throw e;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
      const text = (id: string) => page.locator(`[data-testid="${id}"]`).innerText();
      await page.waitForFunction(() => /\d+s$/.test(document.getElementById('uptime')?.textContent ?? ''));
      const first = await text('uptime');
      expect(await text('mem-used')).toMatch(/^\d+(\.\d)? (KiB|MiB)$/);
      await page.waitForFunction((before) => document.getElementById('uptime')?.textContent !== before, first, {
        timeout: 10_000,
      });
      expect(await text('uptime')).not.toBe(first);
      await page.waitForFunction(() => document.querySelectorAll('#mounts tr').length > 0);
      expect(await text('mounts')).toMatch(/\n\S+\t\/\t/);
      expect(await text('interfaces')).toMatch(/eth0\t\d+\.\d+\.\d+\.\d+\t\d+/);
      expect(await page.locator('#threads tr').count()).toBeGreaterThan(0);
      expect(await text('cpu')).toMatch(/^\d+\.\d%$/);
      // Trace counters come from the guest's trace group: count one, and it appears, counting.
      const counted = await fetch(`http://127.0.0.1:${port}/trace/count/sched_idle?enabled=true`, { method: 'POST' });
      expect(counted.status).toBe(200);
      await page.waitForFunction(
        () => /sched_idle\t[1-9]\d*/.test(document.getElementById('trace')?.innerText ?? ''),
        null,
        {
          timeout: 20_000,
        },
      );
      expect(await text('trace')).toMatch(/sched_idle\t[1-9]\d*/);
      const out = join(REPO, 'tools/osv/test-results');
      mkdirSync(out, { recursive: true });
      await page.screenshot({ path: join(out, 'dashboard.png'), fullPage: true });
      expect(statSync(join(out, 'dashboard.png')).size).toBeGreaterThan(10_000);
    } finally {
      await browser.close();
      vm.kill('SIGKILL');
    }
  }, 120_000);
});
