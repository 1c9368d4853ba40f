// build() and mkfs() for programs: the same images the CLI writes, the same refusals as typed
// errors, and an image build() wrote boots with osv run -i.
import { mkdirSync, mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UsageError, build, buildArguments, mkfs, mkfsArguments } from '../src/index.js';
import { example, osv } from './osv-cli.js';

const dir = mkdtempSync(join(tmpdir(), 'osv-image-api-'));
mkdirSync(join(dir, 'files'));
writeFileSync(join(dir, 'files', 'motd'), 'from the api\n');
writeFileSync(join(dir, 'usr.manifest'), '[manifest]\n/etc/motd: files/motd\n/etc/%(name)s: files/motd\n');

describe('build()', () => {
  it('writes an image that osv run -i boots, and says what it linked', async () => {
    const output = join(dir, 'hello.img');
    const lines: string[] = [];
    const r = await build({
      app: example('hello'),
      manifest: join(dir, 'usr.manifest'),
      output,
      log: (t) => lines.push(t),
    });
    expect(r).toMatchObject({ output, kind: 'image', cmdline: '/hello.wasm' });
    expect(r.modules).toContain('virtio-blk');
    expect(r.modules).toContain('rofs');
    expect(r.kernelHash).toMatch(/^[0-9a-f]{16}$/);
    expect(r.imageBytes).toBe(statSync(output).size);
    expect(lines.join('')).toContain(`osv build: kernel ${r.kernelHash}`);
    const run = osv(['run', '-i', output]);
    expect(run.stderr).toBe('');
    expect(run.stdout.toString()).toMatch(/Hello/);
    expect(run.status).toBe(0);
  });

  it('refuses what osv build refuses, with the same UsageError', async () => {
    await expect(build({ output: join(dir, 'none.img') })).rejects.toThrow(
      new UsageError('osv build needs --app or --manifest'),
    );
    await expect(build({ app: example('hello'), output: join(dir, 'x.img'), fs: 'ext4' as 'rofs' })).rejects.toThrow(
      /--fs ext4: supported are rofs, zfs and ramfs/,
    );
  });

  it('passes each request field as the CLI option of the same meaning', () => {
    expect(
      buildArguments({
        app: 'a.wasm',
        output: 'o.img',
        fs: 'zfs',
        fsSize: '128M',
        compression: 'off',
        format: 'qcow2',
        cmdline: '/a.wasm x',
        profile: 'vm-node',
        networking: true,
      }),
    ).toEqual([
      '--app',
      'a.wasm',
      '-o',
      'o.img',
      '--fs',
      'zfs',
      '--format',
      'qcow2',
      '--kernel-cmdline',
      '/a.wasm x',
      '--fs-size',
      '128M',
      '--compression',
      'off',
      '--profile',
      'vm-node',
      '--networking',
    ]);
  });
});

describe('mkfs()', () => {
  it('writes the bytes osv mkfs writes for the same manifest', async () => {
    const output = join(dir, 'api.rofs');
    const r = await mkfs({ type: 'rofs', manifest: join(dir, 'usr.manifest'), output, defines: { name: 'issue' } });
    expect(r).toEqual({ output, type: 'rofs', imageBytes: statSync(output).size });
    const cli = osv(['mkfs', 'rofs', join(dir, 'usr.manifest'), '-o', join(dir, 'cli.rofs'), '-D', 'name=issue']);
    expect(cli.status).toBe(0);
    expect(readFileSync(output).equals(readFileSync(join(dir, 'cli.rofs')))).toBe(true);
  });

  it('takes a zfs size in bytes as a number, and refuses a bad one as the CLI does', async () => {
    expect(mkfsArguments({ type: 'zfs', manifest: 'm', output: 'o', size: 64 * 1024 * 1024 })).toContain('67108864B');
    const r = await mkfs({
      type: 'zfs',
      manifest: join(dir, 'usr.manifest'),
      output: join(dir, 'api.zfs'),
      size: 64 * 1024 * 1024,
      defines: { name: 'x' },
    });
    expect(r.imageBytes).toBe(64 * 1024 * 1024);
    await expect(
      mkfs({ type: 'zfs', manifest: join(dir, 'usr.manifest'), output: join(dir, 'bad.zfs'), pool: '9lives' }),
    ).rejects.toThrow(new UsageError("mkfs: '9lives' is not a valid pool name"));
  });
});
