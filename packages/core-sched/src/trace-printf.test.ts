import { describe, expect, it } from 'vitest';
import { tracePrintf } from './trace-printf.js';

describe('tracePrintf', () => {
  // Each expected string is what Python 3's `format % value` printed (trace.py formats so).
  it.each([
    ['%g', 0.25, '0.25'],
    ['%g', 1e-5, '1e-05'],
    ['%g', 123456789, '1.23457e+08'],
    ['%.3g', 3.14159, '3.14'],
    ['%08x', 0xabc, '00000abc'],
    ['%-6d|', 5, '5     |'],
    ['%+d', 5, '+5'],
    ['%5.2f', 3.14159, ' 3.14'],
    ['%e', 12345.678, '1.234568e+04'],
    ['%#x', 255, '0xff'],
    ['%x', -255, '-ff'],
    ['%o', 8, '10'],
    ['%c', 65, 'A'],
    ['%s', true, 'True'],
    ['%10s|', 'ab', '        ab|'],
    ['%.2s', 'abc', 'ab'],
    ['%G', 1e-10, '1E-10'],
    ['%#g', 1.5, '1.50000'],
    ['%g', 100000, '100000'],
    ['%g', 1000000, '1e+06'],
    ['%g', 0.0001, '0.0001'],
    ['%lu', 7, '7'],
    ['%05d', -42, '-0042'],
    ['%d', 2.7, '2'],
    ['%x', 0xffff_ffff_ffff_ffffn, 'ffffffffffffffff'],
    ['%p', 0xdead0000n, '0x00000000dead0000'],
  ] as const)('%s of %s is %s', (format, arg, expected) => {
    expect(tracePrintf(format, [arg])).toBe(expected);
  });

  it('leaves conversions without an argument as they are, and prints %%', () => {
    expect(tracePrintf('a=%d b=%d 100%%', [1])).toBe('a=1 b=%d 100%');
  });
});
