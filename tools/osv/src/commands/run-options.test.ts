import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAppCommands } from '@osv-ts/kernel';
import { buildCommandLine, parseRunOptions, quoteAppWord } from './run-options.js';

describe('osv run options', () => {
  it('takes --api-token and --api-cert/--api-key only with --api, the certificate with its key', () => {
    expect(parseRunOptions(['--api', '--api-token', 't', '--api-cert', 'c', '--api-key', 'k', 'a.wasm'])).toMatchObject(
      {
        apiToken: 't',
        apiCert: 'c',
        apiKey: 'k',
      },
    );
    expect(() => parseRunOptions(['--api-token', 't', 'a.wasm'])).toThrow(
      '--api-token needs --api (or --api-monitoring)',
    );
    expect(() => parseRunOptions(['--api', '--api-cert', 'c', 'a.wasm'])).toThrow(
      '--api-cert and --api-key go together',
    );
  });

  it('stops at the app: everything after it belongs to the app', () => {
    const o = parseRunOptions(['-m', '256M', '-V', 'app.wasm', '-m', '--x', 'y']);
    expect(o.memBytes).toBe(256 * 1024 * 1024);
    expect(o.verbose).toBe(true);
    expect(o.app).toBe('app.wasm');
    expect(o.appArgs).toEqual(['-m', '--x', 'y']);
  });

  it('prepends options in run.py order, so the command line starts with --bootchart', () => {
    const o = parseRunOptions(['-V', '--bootchart', '--trace', 'vfs*', 'app.wasm']);
    expect(buildCommandLine(o, 'app.wasm')).toBe('--bootchart --trace=vfs* --verbose app.wasm');
  });

  it("quotes app arguments so that OSv's parser gives them back unchanged", () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.string().filter((s) => !s.includes('$')),
          { maxLength: 5 },
        ),
        (args) => {
          const line = ['app.wasm', ...args].map(quoteAppWord).join(' ');
          expect(parseAppCommands(line)[0]!.argv).toEqual(['app.wasm', ...args]);
        },
      ),
    );
  });

  it('refuses SMP and unknown options', () => {
    expect(() => parseRunOptions(['-c', '2', 'a.wasm'])).toThrow(/one vCPU/);
    expect(() => parseRunOptions(['--nope'])).toThrow(/unknown option/);
    expect(() => parseRunOptions([])).toThrow(/nothing to run/);
  });
});

describe('--share', () => {
  it('takes HOSTDIR:/guest[:ro], repeatable, and mounts each over virtio-fs in order', () => {
    const o = parseRunOptions(['--share', '/tmp/a:/data', '--share=/srv/with:colon:/ro:ro', 'app.wasm']);
    expect(o.shares).toEqual([
      { hostDir: '/tmp/a', guestPath: '/data', readOnly: false },
      { hostDir: '/srv/with:colon', guestPath: '/ro', readOnly: true },
    ]);
    expect(buildCommandLine(o, 'app.wasm')).toBe(
      '--mount-fs=virtiofs,/dev/virtiofs0,/data --mount-fs=virtiofs,/dev/virtiofs1,/ro app.wasm',
    );
  });

  it('refuses a share without a host directory or an absolute guest path', () => {
    for (const bad of ['/tmp/a', ':/data', '/tmp/a:data', '/tmp/a:/da ta'])
      expect(() => parseRunOptions(['--share', bad, 'app.wasm'])).toThrow(/--share expects HOSTDIR:\/guest\/path/);
  });
});
