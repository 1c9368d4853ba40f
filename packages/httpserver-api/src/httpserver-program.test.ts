// `/libhttpserver-api.so`'s options, as OSv's server takes them (--key=value or --key value).
import { describe, expect, it } from 'vitest';
import {
  HttpServerOptionError,
  httpServerProgram,
  namesHttpServerProgram,
  parseServerOptions,
} from './httpserver-program.js';

describe('parseServerOptions', () => {
  it('takes --port and --access-allow in both spellings, and the default port', () => {
    expect(parseServerOptions([], 8000)).toEqual({ port: 8000 });
    expect(parseServerOptions(['--port=8001'], 8000)).toEqual({ port: 8001 });
    expect(parseServerOptions(['--port', '9000', '--access-allow', '*'], 8000)).toEqual({
      port: 9000,
      accessAllow: '*',
    });
    expect(parseServerOptions(['--ipaddress=0.0.0.0'], 8000)).toEqual({ port: 8000 });
    expect(parseServerOptions(['--help'], 8000)).toBe('help');
  });

  it('refuses bad ports, unknown options and what the host does instead, by name', () => {
    const refusal = (args: string[]) => {
      try {
        parseServerOptions(args, 8000);
      } catch (e) {
        expect(e).toBeInstanceOf(HttpServerOptionError);
        return (e as Error).message;
      }
      return 'accepted';
    };
    expect(refusal(['--port=0'])).toBe('--port 0: not a port number (1-65535)');
    expect(refusal(['--port=65536'])).toBe('--port 65536: not a port number (1-65535)');
    expect(refusal(['--port'])).toBe('option --port needs a value');
    expect(refusal(['--ssl'])).toBe('--ssl: TLS is terminated on the host (osv run --api-cert/--api-key)');
    expect(refusal(['--config-file=/tmp/x'])).toMatch(/^--config-file: configuration files are not read/);
    expect(refusal(['--ipaddress=10.0.0.1'])).toMatch(/only 0\.0\.0\.0/);
    expect(refusal(['--frobnicate=1'])).toBe('unknown option --frobnicate');
    expect(refusal(['stray'])).toBe("unexpected argument 'stray'");
  });
});

describe('httpServerProgram', () => {
  it('starts what the options ask for and prints OSv line; a bad option is status 1 with the usage', () => {
    const started: unknown[] = [];
    const program = httpServerProgram(8000, (r) => (started.push(r), 'started'));
    let log = '';
    expect(program.run(['/libhttpserver-api.so', '--port=8002'], (t) => (log += t))).toBe(0);
    expect(started).toEqual([{ port: 8002 }]);
    expect(log).toBe('Rest API server running on port 8002\n');
    log = '';
    expect(program.run(['/libhttpserver-api.so', '--bogus'], (t) => (log += t))).toBe(1);
    expect(log).toMatch(/^\/libhttpserver-api\.so: option --bogus needs a value\nusage: /);
    expect(program.paths).toContain('/usr/lib/libhttpserver-api.so');
  });
});

describe('namesHttpServerProgram', () => {
  it('finds the program as a command of its own, not inside another word', () => {
    expect(namesHttpServerProgram('/libhttpserver-api.so &! /app.wasm')).toBe(true);
    expect(namesHttpServerProgram('--verbose /usr/lib/libhttpserver-api.so --port=8001 &!/app')).toBe(true);
    expect(namesHttpServerProgram('/app.wasm;/libhttpserver-api.so')).toBe(true);
    expect(namesHttpServerProgram('/app.wasm /data/libhttpserver-api.so')).toBe(false);
    expect(namesHttpServerProgram('/app.wasm --libhttpserver-api.so')).toBe(false);
  });
});
