// osv run --profile P: the kernel is linked for the profile and the machine attaches only its
// devices; an option that needs a device the profile lacks is refused. Images record the
// profile they were linked for, and osv run -i says so.
import { join } from 'node:path';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { example, osv, tempFile } from './osv-cli.js';

describe('osv run --profile', () => {
  it('boots hello on vm-node-minimal: a console, no other device', () => {
    const r = osv(['run', '--profile', 'vm-node-minimal', '-V', example('hello'), 'x']);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe('Hello from osv-ts!\nargv[0] = hello.wasm\nargv[1] = x\n');
    expect(r.stderr).toMatch(/^osv: machine: 64M RAM, 1 vCPU, devices: console0, console1$/m);
  });

  it('refuses options that need a device the profile lacks, and profiles for other targets', () => {
    const disk = tempFile('profile-disk.img', Buffer.alloc(1 << 20));
    const cases: [string[], string][] = [
      [['-n'], 'osv: --profile vm-node-minimal attaches no virtio-net device, which -n needs\n'],
      [['--disk', disk], 'osv: --profile vm-node-minimal attaches no virtio-blk device, which --disk needs\n'],
    ];
    for (const [args, message] of cases) {
      const r = osv(['run', '--profile', 'vm-node-minimal', ...args, example('hello')]);
      expect(r.stderr).toBe(message);
      expect(r.status).toBe(2);
    }
    const browser = osv(['run', '--profile', 'vm-browser', example('hello')]);
    expect(browser.stderr).toMatch(/^osv: --profile vm-browser is for target vm-browser, and osv run boots vm-node/);
    expect(browser.status).toBe(2);
  });

  it('an image records its profile; osv run -i names it and takes no --profile', () => {
    const image = join(mkdtempSync(join(tmpdir(), 'osv-profile-')), 'hello.img');
    expect(osv(['build', '--app', example('hello'), '--profile', 'vm-node', '-o', image]).status).toBe(0);
    const r = osv(['run', '-i', image, '-V', '--dry-run']);
    expect(r.status).toBe(0);
    expect(r.stderr).toMatch(/composed from the installed packages as the image names it \(profile vm-node\): /);
    const again = osv(['run', '-i', image, '--profile', 'vm-node-minimal']);
    expect(again.stderr).toMatch(/^osv: osv run -i: the image was linked for its profile when it was built/);
    expect(again.status).toBe(2);
  });
});
