// `osv link`: the modules an app gets on a profile, why, and their shares of the bundle; and the
// tailoring it shows (hello gets console code only). Runs the built CLI as a user would.
import { describe, expect, it } from 'vitest';
import { example, osv } from './osv-cli.js';

interface LinkJson {
  profile: string;
  modules: { name: string; reason: string; bytes: number }[];
  unavailable: { capability: string }[];
  coreBytes: number;
  sharedBytes: number;
  totalBytes: number;
}

const link = (args: string[]): LinkJson => {
  const r = osv(['link', ...args, '--json']);
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return JSON.parse(r.stdout.toString()) as LinkJson;
};

describe('osv link', () => {
  it('links hello with console modules only, and reports why and how big', () => {
    const hello = link([example('hello')]);
    expect(hello.modules.map((m) => [m.name, m.reason])).toEqual([
      ['virtio-console', 'console ← every app has stdin/stdout/stderr'],
    ]);
    expect(hello.modules[0]!.bytes).toBeGreaterThan(0);
    expect(hello.coreBytes + hello.sharedBytes + hello.modules[0]!.bytes).toBe(hello.totalBytes);
    const all = link(['--all']);
    expect(all.modules.map((m) => m.name)).toEqual(
      expect.arrayContaining(['vfs', 'rofs', 'zfs', 'netstack', 'virtio-net', 'virtio-blk', 'js-app']),
    );
    expect(all.totalBytes).toBeGreaterThan(hello.totalBytes * 3);
  });

  it('names the import that pulled in each file-system and socket module', () => {
    const fsutil = link([example('fsutil')]);
    expect(fsutil.modules.find((m) => m.name === 'wasi-fs')?.reason).toMatch(
      /^wasi:fs ← imports wasi_snapshot_preview1\.(path_|fd_readdir|fd_prestat_)/,
    );
    expect(fsutil.modules.find((m) => m.name === 'vfs')?.reason).toBe('vfs ← wasi-fs');
    expect(fsutil.modules.map((m) => m.name)).not.toContain('netstack');
    const server = link([example('httpd')]);
    expect(server.modules.find((m) => m.name === 'wasi-sockets')?.reason).toBe(
      'wasi:net ← imports wasi_snapshot_preview1.sock_accept',
    );
    expect(server.modules.find((m) => m.name === 'virtio-net')?.reason).toBe('netdev ← netstack');
  });

  it('adds and removes modules with --modules, and refuses what a profile cannot carry', () => {
    const plus = link([example('hello'), '--modules', '+rofs']);
    expect(plus.modules.map((m) => m.name)).toEqual(['vfs', 'rofs', 'virtio-console']);
    const r = osv(['link', example('httpd'), '--profile', 'vm-node-minimal']);
    expect(r.stderr).toBe('osv: profile vm-node-minimal attaches no virtio-net device (needed by virtio-net)\n');
    expect(r.status).toBe(1);
    const removed = osv(['link', example('fsutil'), '--modules', '-vfs']);
    expect(removed.stderr).toBe("osv: 'vfs' (needed by wasi-fs) comes only from vfs, which --modules -vfs excludes\n");
    expect(removed.status).toBe(1);
    const bad = osv(['link', example('hello'), '--modules', 'rofs']);
    expect(bad.stderr).toBe('osv: --modules rofs: each entry is +NAME or -NAME\n');
    expect(bad.status).toBe(2);
  });

  it('prints the table by default, and lists the profiles', () => {
    const r = osv(['link', example('hello'), '--profile', 'vm-node-minimal']);
    expect(r.stdout.toString()).toMatch(
      /^osv link: hello\.wasm on profile vm-node-minimal \(target vm-node\)\nmodule +size +why\nvirtio-console +[\d.]+ KiB +console ← /,
    );
    const p = osv(['profiles']);
    expect(p.stdout.toString()).toMatch(/^inprocess +inprocess +\(no devices\)\n/);
    expect(p.stdout.toString()).toMatch(/\nvm-node-minimal +vm-node +virtio-console\n/);
  });
});
