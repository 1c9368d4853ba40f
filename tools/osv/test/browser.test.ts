// The vm-browser target in a real browser: Debian's chromium (apt's `chromium` package, at
// /usr/bin/chromium or $CHROMIUM) driven by playwright-core, which npm installs with the
// workspace and which downloads no browser. Each site is written by osv build --profile
// vm-browser and served by osv serve, as a user would; the page reports the exit status in
// document.title, and its terminal's text through globalThis.osv.terminalText().
import { spawn, type ChildProcess } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, REPO, example, osv } from './osv-cli.js';

const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const dir = mkdtempSync(join(tmpdir(), 'osv-browser-test-'));
let browser: Browser;
const servers: ChildProcess[] = [];

beforeAll(async () => {
  if (!existsSync(CHROMIUM))
    throw new Error(`no Chromium at ${CHROMIUM}: apt-get install chromium (or set CHROMIUM to its path)`);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  for (const s of servers) s.kill('SIGTERM');
});

/** Builds a site with these osv build arguments and serves it; returns its URL. */
async function site(name: string, args: string[]): Promise<{ url: string; dir: string }> {
  const out = join(dir, name);
  const built = osv(['build', ...args, '--profile', 'vm-browser', '-o', out]);
  expect(built.stderr).toMatch(/osv build: modules: /);
  expect(built.status).toBe(0);
  const server = spawn(process.execPath, [CLI, 'serve', out, '--port', '0'], { stdio: ['ignore', 'pipe', 'inherit'] });
  servers.push(server);
  const url = await new Promise<string>((resolve, reject) => {
    server.stdout.on('data', (b: Buffer) => {
      const m = /http:\/\/[\d.:]+\//.exec(b.toString());
      if (m) resolve(m[0]);
    });
    server.once('exit', (code) => reject(new Error(`osv serve exited with ${code}`)));
  });
  return { url, dir: out };
}

interface PageResult {
  title: string;
  text: string;
  status: string;
}

const terminalText = (page: Page): Promise<string> =>
  page.evaluate(() => (globalThis as unknown as { osv: { terminalText(): string } }).osv.terminalText());

/** Opens the page, lets `interact` type into it, and waits for the guest's exit. */
async function open(url: string, interact?: (page: Page) => Promise<void>): Promise<PageResult> {
  const page = await browser.newPage();
  try {
    await page.goto(url);
    await interact?.(page);
    await page.waitForFunction(() => document.title.startsWith('osv: exit'), null, { timeout: 30_000 });
    return {
      title: await page.title(),
      text: await terminalText(page),
      status: (await page.getAttribute('body', 'data-exit-status')) ?? '',
    };
  } finally {
    await page.close();
  }
}

async function boot(name: string, args: string[]): Promise<PageResult> {
  return open((await site(name, args)).url);
}

/** A disk image osv build writes, for osv run -i and for sites. */
function image(name: string, args: string[]): string {
  const path = join(dir, `${name}.img`);
  const r = osv(['build', ...args, '-o', path]);
  expect(r.stderr).not.toMatch(/error/);
  expect(r.status).toBe(0);
  return path;
}

const FSUTIL = ['--app', example('fsutil'), '--manifest', join(REPO, 'examples/fsutil/usr.manifest')];

describe('vm-browser in Chromium', () => {
  it('boots hello: its output on the page, exit status 0, the same output as on Node', async () => {
    const page = await boot('hello', ['--app', example('hello')]);
    expect(page.text).toBe('Hello from osv-ts!\nargv[0] = /hello.wasm\n');
    expect(page.title).toBe('osv: exit 0');
    expect(page.status).toBe('0');
    const node = osv(['run', '-i', image('hello', ['--app', example('hello')])]);
    expect(node.stdout.toString()).toBe(page.text);
  });

  it('runs an app that reads a file the manifest put in the site', async () => {
    const page = await boot('fsutil', [...FSUTIL, '--kernel-cmdline', '/fsutil.wasm cat /hello.txt']);
    expect(page.text).toBe('hello\n');
    expect(page.title).toBe('osv: exit 0');
  });

  it('reports the exit status the app chose', async () => {
    const page = await boot('exit', ['--app', example('exit-status'), '--kernel-cmdline', '/exit-status.wasm 3']);
    expect(page.title).toBe('osv: exit 3');
    expect(page.status).toBe('3');
    expect(page.text).toBe('exiting with status 3\n');
  });

  it("the terminal is the app's stdin: typed lines are echoed and read, Ctrl-D ends the input", async () => {
    const { url } = await site('greet', ['--app', example('greet')]);
    const page = await open(url, async (p) => {
      await p.waitForFunction(() => document.getElementById('status')?.textContent === 'running');
      await p.waitForFunction(() =>
        (globalThis as unknown as { osv: { terminalText(): string } }).osv.terminalText().includes('name?'),
      );
      await p.locator('#terminal').click();
      await p.keyboard.type('Ada');
      await p.keyboard.press('Backspace');
      await p.keyboard.type('a\n');
      await p.waitForFunction(() =>
        (globalThis as unknown as { osv: { terminalText(): string } }).osv.terminalText().includes('Hello, Ada!'),
      );
      await p.keyboard.press('Control+D');
    });
    expect(page.text).toBe('What is your name? Ada\nHello, Ada!\nWhat is your name? bye\n');
    expect(page.title).toBe('osv: exit 0');
  });

  it('boots a disk image osv build wrote (-i): the same output as osv run -i', async () => {
    const disk = image('fsutil', [...FSUTIL, '--kernel-cmdline', '/fsutil.wasm ls /']);
    const page = await boot('fsutil-image', ['-i', disk]);
    expect(page.title).toBe('osv: exit 0');
    const node = osv(['run', '-i', disk]);
    expect(node.status).toBe(0);
    expect(page.text).toBe(node.stdout.toString());
  });

  it('boots another image given by ?disk=URL and ?cmdline=, and refuses one needing modules it lacks', async () => {
    const { url, dir: out } = await site('disk-url', ['-i', image('hello-disk', ['--app', example('hello')])]);
    copyFileSync(
      image('exit-disk', ['--app', example('exit-status'), '--kernel-cmdline', '/exit-status.wasm 4']),
      join(out, 'exit.img'),
    );
    const other = await open(`${url}?disk=exit.img`);
    expect(other.title).toBe('osv: exit 4');
    expect(other.text).toBe('exiting with status 4\n');
    const replaced = await open(`${url}?cmdline=${encodeURIComponent('/hello.wasm from the URL')}`);
    expect(replaced.text).toBe(
      'Hello from osv-ts!\nargv[0] = /hello.wasm\nargv[1] = from\nargv[2] = the\nargv[3] = URL\n',
    );
    copyFileSync(image('fsutil-disk', FSUTIL), join(out, 'fsutil.img'));
    const refused = await open(`${url}?disk=fsutil.img`);
    expect(refused.title).toBe('osv: exit 1');
    expect(refused.text).toBe(
      'osv: cannot boot: fsutil.img needs kernel modules this site lacks: wasi-fs (osv build -i it into a site)\n',
    );
  });
});
