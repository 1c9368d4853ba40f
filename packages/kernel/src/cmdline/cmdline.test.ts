import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseAppCommands } from './app-commands.js';
import { splitLoaderCommandLine } from './loader-cmdline.js';
import { parseLoaderOptions } from './loader-options.js';
import { CommandLineError, extractMmioDevices, formatMmioDevice, parseMmioDevice } from './mmio-device-tokens.js';

describe('virtio_mmio.device tokens', () => {
  it('parses sizes with K/M suffixes and %lli addresses', () => {
    expect(parseMmioDevice('4K@0x10000:5')).toEqual({ sizeBytes: 4096, baseAddress: 0x10000, irq: 5 });
    expect(parseMmioDevice('1m@010:7:3')).toEqual({ sizeBytes: 1 << 20, baseAddress: 8, irq: 7, id: 3 });
    expect(parseMmioDevice('512@4096:0')).toEqual({ sizeBytes: 512, baseAddress: 4096, irq: 0 });
    expect(() => parseMmioDevice('4K@zz:5')).toThrow(CommandLineError);
  });

  it('extracts every token wherever it stands and leaves the rest', () => {
    const { devices, rest } = extractMmioDevices(
      'virtio_mmio.device=4K@0x10000:5 --bootchart virtio_mmio.device=4K@0x11000:6 /hello.wasm a',
    );
    expect(devices.map((d) => d.irq)).toEqual([5, 6]);
    expect(rest.replace(/\s+/g, ' ').trim()).toBe('--bootchart /hello.wasm a');
  });

  it('round-trips through formatMmioDevice', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 4096 }),
        fc.integer({ min: 0, max: 2 ** 40 }),
        fc.integer({ min: 0, max: 255 }),
        (kib, addr, irq) => {
          const d = { sizeBytes: kib * 1024, baseAddress: addr, irq };
          expect(parseMmioDevice(formatMmioDevice(d).split('=')[1]!)).toEqual(d);
        },
      ),
    );
  });
});

describe('loader command line (OSv core/commands.cc)', () => {
  it('splits leading options from the app command line, with backslash escapes', () => {
    expect(splitLoaderCommandLine('  --bootchart\t--env=BB=bb1\\ bb2  /hello.wasm  a  b')).toEqual({
      options: ['--bootchart', '--env=BB=bb1 bb2'],
      appCommandLine: '/hello.wasm  a  b',
    });
    expect(splitLoaderCommandLine('/app -x')).toEqual({ options: [], appCommandLine: '/app -x' });
  });

  it('parses flags and values, repeatable and first-only options', () => {
    const o = parseLoaderOptions([
      '--bootchart',
      '--env=A=1',
      '--env=B=2=3',
      '--cwd=/tmp',
      '--cwd=/x',
      '--trace=sched*,vfs?',
      '--ip=eth0,10.0.0.2,255.255.255.0',
      '--mount-fs=zfs,osv/data,/data',
      '--redirect=>>/log',
      '--delay=0.5',
      '--maxnic=2',
    ]);
    expect(o.bootchart).toBe(true);
    expect(o.env).toEqual(['A=1', 'B=2=3']);
    expect(o.cwd).toBe('/tmp');
    expect(o.warnings).toContain("Ignoring '--cwd' options after the first.");
    expect(o.trace).toEqual(['sched*', 'vfs?']);
    expect(o.ip).toEqual([{ ifname: 'eth0', address: '10.0.0.2', netmask: '255.255.255.0' }]);
    expect(o.mountFs).toEqual([{ fsType: 'zfs', source: 'osv/data', path: '/data' }]);
    expect(o.redirect).toEqual({ path: '/log', append: true });
    expect(o.delaySeconds).toBe(0.5);
    expect(parseLoaderOptions(['--tcplisten=0.0.0.0:80', '--tcplisten=[::1]:8080']).tcplisten).toEqual([
      '0.0.0.0:80',
      '[::1]:8080',
    ]);
    expect(o.maxnic).toBe(2);
  });

  it.each([
    [['-x'], 'not an option: -x'],
    [['--env='], "the required argument for option '--env' is missing"],
    [['--bootchart=1'], "option '--bootchart' does not take any arguments"],
    [['--cwd'], "the required argument for option '--cwd' is missing"],
    [['--maxnic=two'], "the argument ('two') for option '--maxnic' is invalid"],
    [['--nosuch'], 'unrecognized option: --nosuch'],
    [['--strace'], 'unrecognized option: --strace'],
    [['--ip=eth0,10.0.0.2'], 'incorrect parameter on --ip'],
    [['--console=bogus'], 'Unknown console:bogus'],
    [['--delay=1e9'], "the argument ('1e9') for option '--delay' is out of range: 0 to 3600 seconds"],
    [['--delay=-1'], "the argument ('-1') for option '--delay' is out of range: 0 to 3600 seconds"],
    [['--tcplisten=nonsense'], "the argument ('nonsense') for option '--tcplisten' is invalid: expected ADDR:PORT"],
    [['--tcplisten=10.0.0.256:80'], "the argument ('10.0.0.256:80') for option '--tcplisten' is invalid"],
    [['--tcplisten=0.0.0.0:65536'], "the argument ('0.0.0.0:65536') for option '--tcplisten' is invalid"],
    [['--verbose', '--verbose=1'], 'duplicate option: --verbose'],
  ])("rejects %j with OSv's message", (tokens, message) => {
    expect(() => parseLoaderOptions(tokens)).toThrow(message);
  });
});

describe('app command line', () => {
  it('splits commands at ; & &! ! and keeps the terminator', () => {
    expect(parseAppCommands('/a x; /b &/c&!/d ! /e').map((c) => [c.argv, c.terminator])).toEqual([
      [['/a', 'x'], ';'],
      [['/b'], '&'],
      [['/c'], '&!'],
      [['/d'], '!'],
      [['/e'], ''],
    ]);
  });

  it('handles quoted words, escapes and one $VAR per word', () => {
    const env = new Map([
      ['HOME', '/root'],
      ['AA', 'x'],
    ]);
    expect(parseAppCommands('/app "a b" "q\\"x" \\t $HOME X$AA $NONE', env)[0]!.argv).toEqual([
      '/app',
      'a b',
      'q"x',
      '\t',
      '/root',
      'Xx',
      '',
    ]);
    expect(parseAppCommands(' ; ;  ')).toEqual([]);
    expect(() => parseAppCommands('/app "open')).toThrow(CommandLineError);
  });

  it('names the offset of an unterminated quote', () => {
    let error: unknown;
    try {
      parseAppCommands('/app x "open end');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CommandLineError);
    expect((error as CommandLineError).offset).toBe(7);
    expect((error as CommandLineError).message).toBe(
      'unterminated quoted string at offset 7 of the command line: "open end',
    );
  });
});
