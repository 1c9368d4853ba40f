import { describe, expect, it } from 'vitest';
import { planNetwork } from './net-backend.js';
import { parseRunOptions } from './run-options.js';

const plan = (...argv: string[]) => planNetwork(parseRunOptions([...argv, 'app.wasm']));

describe('osv run networking options (run.py: -n, -v, --tap)', () => {
  it('-n alone is user-mode networking through passt, with its forwards', () => {
    expect(plan('-n', '--forward', 'tcp:8080:80')).toEqual({
      kind: 'passt',
      forwards: [{ protocol: 'tcp', hostPort: 8080, guestPort: 80 }],
    });
    expect(plan()).toEqual({ kind: 'none', forwards: [] });
  });

  it('-n --tap NAME and -n -t NAME put eth0 on that TAP device; -n -v on one the kernel names', () => {
    expect(plan('-n', '-v', '--tap', 'osv0')).toEqual({ kind: 'tap', forwards: [], tap: 'osv0' });
    expect(plan('-n', '--tap=osv1')).toEqual({ kind: 'tap', forwards: [], tap: 'osv1' });
    expect(plan('-n', '-t', 'osv2')).toEqual({ kind: 'tap', forwards: [], tap: 'osv2' });
    expect(plan('-n', '-v')).toEqual({ kind: 'tap', forwards: [], tap: 'tap%d' });
  });

  it('refuses TAP options without -n, and port forwarding on a TAP device', () => {
    expect(() => plan('-v')).toThrow(/-v needs -n/);
    expect(() => plan('--tap', 'osv0')).toThrow(/--tap needs -n/);
    expect(() => plan('-n', '--tap', 'osv0', '--forward', '8080:80')).toThrow(/--forward is for user-mode networking/);
    expect(() => plan('--forward', '8080:80')).toThrow(/--forward needs -n/);
  });
});
