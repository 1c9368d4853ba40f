// Hostile guests, tried as an attacker would (issue 13): an image whose kernel bundle is replaced
// by code that goes for the host (node:fs, process, import(), require, the Function constructor
// family, process.binding, process.getBuiltinModule, fetch, node:net), and JS apps that try the
// same from inside the guest. None may reach the host: every attempt would write a marker file
// under a temp directory or connect to a port this test listens on, and the test asserts that no
// marker exists and no connection arrived. The image cases are refused (exit 1, one line); the JS
// apps run confined (each attempt blocked) or are refused (exit 126).
//
// The same payload run as a plain Node worker — what `osv run -i` did with an image's bundle
// before — writes every marker and connects: the control that shows each probe can succeed.
import { randomBytes } from 'node:crypto';
import { closeSync, copyFileSync, mkdtempSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadBootImage, writeBootRecord, type BootRecord } from '@osv-ts/vmm';
import { JS_APP_HEADER } from '@osv-ts/kernel';
import {
  encodeKernelIdentity,
  parseKernelIdentity,
  sha256Hex,
  type KernelIdentity,
} from '../src/linker/kernel-identity.js';
import { example, osv, tempFile } from './osv-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-hostile-'));
let server: net.Server;
let port = 0;
let connections = 0;

beforeAll(async () => {
  server = net.createServer((socket) => {
    connections++;
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as net.AddressInfo).port;
});
afterAll(() => server.close());

/** A fresh, empty directory for one case's markers. */
function markerDir(name: string): string {
  return mkdtempSync(join(dir, `${name}-`));
}

/**
 * A kernel bundle that goes for the host in every way a Node worker allows; each way that works
 * writes `markers/<way>` or connects to the test's port.
 */
function hostileKernel(markers: string): string {
  const m = (way: string): string => JSON.stringify(join(markers, way));
  return `import { writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import net from 'node:net';
const hit = (path) => { try { writeFileSync(path, 'reached the host'); } catch {} };
hit(${m('static-import')});
try { process.getBuiltinModule('node:fs').writeFileSync(${m('getBuiltinModule')}, 'x'); } catch {}
try { globalThis.process.binding('fs') && hit(${m('binding')}); } catch {}
try { createRequire(import.meta.url)('node:fs').writeFileSync(${m('require')}, 'x'); } catch {}
try { (function () {}).constructor('return this')().process.getBuiltinModule('node:fs').writeFileSync(${m('function-constructor')}, 'x'); } catch {}
import('node:fs').then((fs) => fs.writeFileSync(${m('dynamic-import')}, 'x'), () => {});
try { Function('return import("node:fs")')().then((fs) => fs.writeFileSync(${m('Function-import')}, 'x'), () => {}); } catch {}
try { (async function () {}).constructor('return import("node:fs")')().then((fs) => fs.writeFileSync(${m('AsyncFunction-import')}, 'x'), () => {}); } catch {}
try { fetch('http://127.0.0.1:${port}/fetch').catch(() => {}); } catch {}
try { net.connect(${port}, '127.0.0.1').on('error', () => {}); } catch {}
// Time for the async ways (import(), fetch) to complete on a loaded machine, then leave.
setTimeout(() => process.exit(0), 3000);
`;
}

const ALL_WAYS = [
  'static-import',
  'getBuiltinModule',
  'binding',
  'require',
  'function-constructor',
  'dynamic-import',
  'Function-import',
  'AsyncFunction-import',
];

/** Waits a moment for connections in flight, then returns how many arrived since `before`. */
async function connectionsSince(before: number): Promise<number> {
  await new Promise((r) => setTimeout(r, 300));
  return connections - before;
}

/** Rewrites the boot partition of a raw image with `change(record)`. */
function rewriteBootRecord(image: string, change: (r: BootRecord) => BootRecord, version?: number): void {
  const loaded = loadBootImage(image);
  const boot = loaded.partitions.find((p) => p.index === 0)!;
  const bytes = writeBootRecord(change(loaded));
  if (version !== undefined) new DataView(bytes.buffer).setUint32(8, version, true);
  expect(bytes.length).toBeLessThanOrEqual(boot.sizeBytes);
  const fd = openSync(image, 'r+');
  try {
    writeSync(fd, bytes, 0, bytes.length, boot.startBytes);
  } finally {
    closeSync(fd);
  }
}

describe('the hostile kernel payload, as a plain Node worker (the control)', () => {
  it('reaches the host every way it tries: markers written, connections made', async () => {
    const markers = markerDir('control');
    const file = join(dir, 'control-kernel.mjs');
    writeFileSync(file, hostileKernel(markers));
    const before = connections;
    const worker = new Worker(file, { env: {}, argv: [], stdout: true, stderr: true });
    await new Promise((resolve) => worker.on('exit', resolve));
    expect(readdirSync(markers).sort()).toEqual([...ALL_WAYS].sort());
    expect(await connectionsSince(before)).toBe(2); // fetch and net.connect
  });
});

describe('osv run -i of an image whose kernel is hostile', () => {
  let good: string;
  beforeAll(() => {
    good = join(dir, 'hello.img');
    const built = osv(['build', '--app', example('hello'), '-o', good]);
    expect(built.status).toBe(0);
  });

  /** A copy of the good image with its boot record changed. */
  function hostileImage(name: string, change: (r: BootRecord, hostile: Uint8Array) => BootRecord, version?: number) {
    const markers = markerDir(name);
    const image = join(dir, `${name}.img`);
    copyFileSync(good, image);
    const hostile = new TextEncoder().encode(hostileKernel(markers));
    rewriteBootRecord(image, (r) => change(r, hostile), version);
    return { image, markers };
  }

  const cases: [string, RegExp, (r: BootRecord, hostile: Uint8Array) => BootRecord, number?][] = [
    [
      'bundle replaced',
      /its stored kernel bundle \(sha256:[0-9a-f]{16}\) is not the one its identity records/,
      (r, hostile) => ({ ...r, kernel: hostile }),
    ],
    [
      'bundle and its recorded hash replaced',
      /the installed packages compose sha256:[0-9a-f]{16} from its modules, not the sha256:[0-9a-f]{16} it records/,
      (r, hostile) => ({
        ...r,
        kernel: hostile,
        kernelIdentity: withIdentity(r, { bundleSha256: sha256Hex(hostile) }),
      }),
    ],
    [
      'a module no package provides',
      /names module 'evil', which no installed package provides/,
      (r, hostile) => ({
        ...r,
        kernel: hostile,
        kernelIdentity: withIdentity(r, { bundleSha256: sha256Hex(hostile), modules: ['evil'] }),
      }),
    ],
    [
      'another kernel version',
      /composed from @osv-ts\/kernel 9\.9\.9; installed is 0\.1\.0/,
      (r, hostile) => {
        const id = parseKernelIdentity(r.kernelIdentity!);
        return {
          ...r,
          kernel: hostile,
          kernelIdentity: withIdentity(r, {
            bundleSha256: sha256Hex(hostile),
            packages: { ...id.packages, '@osv-ts/kernel': '9.9.9' },
          }),
        };
      },
    ],
    ['a malformed identity', /kernel identity: JSON/, (r, hostile) => ({ ...r, kernel: hostile, kernelIdentity: '{' })],
    [
      'a version 1 boot record (the bundle alone, as images were before)',
      /its boot record \(version 1\) names no kernel identity/,
      (r, hostile) => ({ ...r, kernel: hostile }),
      1,
    ],
  ];

  for (const [name, why, change, version] of cases) {
    it(`refuses it in one line, exit 1, running nothing: ${name}`, async () => {
      const { image, markers } = hostileImage(name.replace(/\W+/g, '-'), change, version);
      const before = connections;
      const r = osv(['run', '-i', image]);
      expect(r.stderr).toMatch(new RegExp(`^osv: cannot boot ${escape(image)}: .*\\n$`));
      expect(r.stderr.split('\n')).toHaveLength(2);
      expect(r.stderr).toMatch(why);
      expect(r.status).toBe(1);
      expect(r.stdout.length).toBe(0);
      expect(readdirSync(markers)).toEqual([]);
      expect(await connectionsSince(before)).toBe(0);
    });
  }

  it('still boots the untouched image (the refusals are about the kernel, not the image)', () => {
    const r = osv(['run', '-i', good]);
    expect(r.stdout.toString()).toMatch(/Hello from osv-ts!/);
    expect(r.status).toBe(0);
  });
});

describe('hostile JS apps', () => {
  /**
   * The app's probes. Each yields what it reached; "blocked" when it threw. A probe that reaches
   * a host fs module writes its marker. The source never contains the text `import(` (SES
   * refuses such a source whole; see the next test), so dynamic imports are built from pieces.
   */
  function hostileApp(markers: string): string {
    return `const IMPORT = 'imp' + 'ort';
const MARKERS = ${JSON.stringify(markers)};
const use = (fs, way) => { if (fs && typeof fs.writeFileSync === 'function') { fs.writeFileSync(MARKERS + '/' + way, 'x'); return 'REACHED fs'; } return fs === undefined || fs === null ? 'absent' : 'REACHED ' + typeof fs; };
const fsFromProcess = (p, way) => use(p && p.getBuiltinModule && p.getBuiltinModule('node:fs'), way);
const probes = {
  'process': () => fsFromProcess(typeof process === 'undefined' ? undefined : process, 'process'),
  'globalThis.process': () => fsFromProcess(globalThis.process, 'globalThis.process'),
  'process.binding': () => use(globalThis.process && globalThis.process.binding('fs'), 'binding'),
  'require': () => { const name = 'node:' + 'fs'; return use(typeof require === 'undefined' ? undefined : require(name), 'require'); },
  'function constructor this': () => fsFromProcess((function () {}).constructor('return this')().process, 'fn-ctor'),
  'async function constructor': () => use((async function () {}).constructor('return 1'), 'async-ctor'),
  'generator function constructor': () => use((function* () {}).constructor('yield 1'), 'gen-ctor'),
  'Function + import': () => { Function('return ' + IMPORT + '("node:fs")')().then((fs) => use(fs, 'Function-import')); return 'REACHED promise'; },
  'AsyncFunction + import': () => { const AF = Object.getPrototypeOf(async function () {}).constructor; AF('return ' + IMPORT + '("node:fs")')().then((fs) => use(fs, 'AsyncFunction-import')); return 'REACHED promise'; },
  'indirect eval + import': () => { const indirect = eval; indirect(IMPORT + '("node:fs")').then((fs) => use(fs, 'eval-import')); return 'REACHED promise'; },
  'import.meta': () => use(Function('return ' + IMPORT + '.meta')(), 'import-meta'),
  'libc call constructor': (libc) => fsFromProcess(libc.write.constructor('return this')().process, 'libc-ctor'),
  'KernelError constructor': (libc) => { try { libc.open('/no/such/file'); } catch (e) { return fsFromProcess(e.constructor.constructor('return this')().process, 'error-ctor'); } return 'absent'; },
  'indirect eval this': () => fsFromProcess((0, eval)('this').process, 'indirect-eval'),
  'stack frames getThis': () => { Error.prepareStackTrace = (_, frames) => frames; const frames = new Error().stack; Error.prepareStackTrace = undefined; const found = Array.isArray(frames) ? frames.map((f) => f.getThis && f.getThis()).find((t) => t && t.process) : undefined; return fsFromProcess(found && found.process, 'getThis'); },
  'nested compartment': () => fsFromProcess(new Compartment().globalThis.process, 'compartment'),
  'fetch': () => { fetch('http://127.0.0.1:${port}/'); return 'REACHED fetch'; },
  'WebAssembly': () => use(globalThis.WebAssembly, 'wasm'),
  'poison Object.prototype': () => { Object.prototype.polluted = 1; return 'REACHED poison'; },
  'poison Array.prototype.push': () => { Array.prototype.push = function () { return 0; }; return 'REACHED poison'; },
};
export default function main(argv, env, libc) {
  const seen = {};
  for (const [name, probe] of Object.entries(probes)) {
    try { seen[name] = probe(libc); } catch (e) { seen[name] = 'blocked ' + (e && e.name); }
  }
  libc.write(1, JSON.stringify(seen) + '\\n');
  return 0;
}
`;
  }

  it('run confined: every probe is blocked, no marker is written, no connection is made', async () => {
    const markers = markerDir('js-app');
    const app = tempFile(`hostile-${randomBytes(4).toString('hex')}.mjs`, hostileApp(markers));
    const before = connections;
    const r = osv(['run', app]);
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
    const seen = JSON.parse(r.stdout.toString()) as Record<string, string>;
    expect(Object.keys(seen)).toHaveLength(20);
    for (const [probe, result] of Object.entries(seen)) expect(result, probe).toMatch(/^(blocked \w+|absent)$/);
    // The ways that used to "work" but never settle now fail at once, as errors.
    expect(seen['Function + import']).toBe('blocked SyntaxError');
    expect(seen['function constructor this']).toBe('blocked TypeError');
    expect(seen['poison Object.prototype']).toBe('blocked TypeError');
    expect(readdirSync(markers)).toEqual([]);
    expect(await connectionsSince(before)).toBe(0);
  });

  it('are refused (126) when their source holds an import( expression, even in a file osv did not link', async () => {
    const markers = markerDir('raw-js-app');
    // Put into the guest as-is (a guest name osv does not link), run from -e; a linked JS app
    // beside it makes osv link the js-app module, so the compartment is what refuses it.
    const raw = tempFile(
      'raw.app',
      `${JS_APP_HEADER}module.exports.default = () => { import('node:fs').then((fs) => fs.writeFileSync(${JSON.stringify(join(markers, 'raw'))}, 'x')); return 0; };\n`,
    );
    const plain = tempFile('plain-beside.mjs', 'export default () => 0;\n');
    const before = connections;
    const r = osv(['run', '--file', `/raw.app=${raw}`, '--file', `/plain.mjs=${plain}`, '-e', '/raw.app']);
    expect(r.stderr).toMatch(/\/raw\.app: Possible import expression rejected/);
    expect(r.status).toBe(126);
    expect(readdirSync(markers)).toEqual([]);
    // Without a linked JS app the kernel has no js-app module and refuses it before any parsing.
    const alone = osv(['run', '--file', `/raw.app=${raw}`, '-e', '/raw.app']);
    expect(alone.stderr).toMatch(/a JS app needs the js-app kernel module/);
    expect(alone.status).toBe(126);
    expect(readdirSync(markers)).toEqual([]);
    expect(await connectionsSince(before)).toBe(0);
  });
});

function withIdentity(r: BootRecord, patch: Partial<KernelIdentity>): string {
  return encodeKernelIdentity({ ...parseKernelIdentity(r.kernelIdentity!), ...patch });
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
