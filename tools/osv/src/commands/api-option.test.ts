import { describe, expect, it } from 'vitest';
import { apiForwardRule, apiModuleName } from './api-option.js';
import { parseRunOptions } from './run-options.js';

describe('osv run --api', () => {
  it('defaults to host 127.0.0.1:8000, turns on networking and names the module', () => {
    const o = parseRunOptions(['--api', 'app.wasm', '--api']);
    expect(o.api).toEqual({ hostAddress: '127.0.0.1', hostPort: 8000, monitoring: false });
    expect(o.networking).toBe(true);
    expect(o.appArgs).toEqual(['--api']); // after the app, the app's
    expect(apiForwardRule(o.api!)).toBe('tcp:127.0.0.1:8000:8000');
    expect(apiModuleName(o.api!)).toBe('httpserver-api');
  });

  it('takes [HOST:]PORT inline; --api-monitoring is the read-only module', () => {
    expect(parseRunOptions(['--api=8001', 'a.wasm']).api).toMatchObject({ hostAddress: '127.0.0.1', hostPort: 8001 });
    const m = parseRunOptions(['--api-monitoring=0.0.0.0:9000', 'a.wasm']).api!;
    expect(m).toEqual({ hostAddress: '0.0.0.0', hostPort: 9000, monitoring: true });
    expect(apiModuleName(m)).toBe('httpserver-monitoring-api');
    for (const bad of ['--api=0', '--api=70000', '--api=host:80', '--api='])
      expect(() => parseRunOptions([bad, 'a.wasm'])).toThrow(/expected \[HOST:\]PORT/);
  });
});
