// Runs the built osv CLI as a user would, for end-to-end tests.
import { execFile, spawn, spawnSync } from 'node:child_process';
import { promisify } from 'node:util';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import wabtInit from 'wabt';

// The command as npm links it (bin/osv.js: the code-cached bundle of the CLI).
export const CLI = fileURLToPath(new URL('../bin/osv.js', import.meta.url));
export const REPO = fileURLToPath(new URL('../../..', import.meta.url));
export const example = (name: string): string => join(REPO, 'examples', name, `${name}.wasm`);

export interface CliResult {
  status: number | null;
  signal: NodeJS.Signals | null;
  stdout: Buffer;
  stderr: string;
}

export function osv(args: string[], input?: Buffer | string): CliResult {
  const r = spawnSync(process.execPath, [CLI, ...args], { input: input ?? '', timeout: 60_000, maxBuffer: 64 << 20 });
  return { status: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr.toString() };
}

export { spawn };

const wabt = await wabtInit();
const dir = mkdtempSync(join(tmpdir(), 'osv-cli-test-'));
let n = 0;

/** Assembles WebAssembly text into a file and returns its path. */
export function watFile(source: string, name = `app${n++}.wasm`): string {
  const mod = wabt.parseWat(name, source);
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(mod.toBinary({}).buffer));
  mod.destroy();
  return path;
}

export function tempFile(name: string, data: Buffer | string): string {
  const path = join(dir, name);
  writeFileSync(path, data);
  return path;
}

// curl, one connection per request: httpd serves connections one at a time and keeps them
// alive, so a client that pools idle connections (fetch) would hold it on the first one.
const execFileAsync = promisify(execFile);
export async function curl(url: string, out: string, maxSeconds = 20): Promise<string> {
  const r = await execFileAsync(
    'curl',
    ['-s', '--max-time', String(maxSeconds), '-o', out, '-w', '%{http_code}', url],
    { encoding: 'utf8' },
  );
  return r.stdout;
}

export async function curlRetrying(url: string, out: string, deadlineMs: number): Promise<string> {
  for (;;) {
    try {
      // Short attempts: before the guest listens, passt accepts and then resets the connection,
      // and a SYN that reaches the guest before its address is up waits for passt's backoff.
      return await curl(url, out, 5);
    } catch (e) {
      if (Date.now() > deadlineMs) throw e;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}
