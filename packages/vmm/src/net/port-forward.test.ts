import { describe, expect, it } from 'vitest';
import { parsePortForward } from './passt-backend.js';

describe('parsePortForward', () => {
  it('reads run.py/QEMU rules, keeping a host address when one is given', () => {
    expect(parsePortForward('tcp:8080:80')).toEqual({ protocol: 'tcp', hostPort: 8080, guestPort: 80 });
    expect(parsePortForward('udp:5353:53')).toEqual({ protocol: 'udp', hostPort: 5353, guestPort: 53 });
    expect(parsePortForward('tcp:127.0.0.1:8000:8000')).toEqual({
      protocol: 'tcp',
      hostPort: 8000,
      guestPort: 8000,
      hostAddress: '127.0.0.1',
    });
    expect(parsePortForward('hostfwd=tcp::8000-:8000')).toEqual({ protocol: 'tcp', hostPort: 8000, guestPort: 8000 });
    expect(() => parsePortForward('tcp:0:80')).toThrow(/bad port/);
  });
});
