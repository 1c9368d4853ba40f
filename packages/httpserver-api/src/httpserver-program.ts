// `/libhttpserver-api.so` on the command line (OSv's module.py: run_on_init('/libhttpserver-api.so
// &!'), or a user's `-e '/libhttpserver-api.so --port=8001 &! /app'`): the management API's
// server, started by this module instead of a shared object OSv's dynamic linker would load.
// OSv's options are `--key=value` or `--key value` (reference §1); those that make sense in a
// guest whose TLS and tokens live on the host (ApiGateway) are taken, the rest refused by name.
import type { BuiltinProgram } from '@osv-ts/kernel-api';

/** The paths OSv's image gives the server (the file and its /usr/lib symlink). */
export const HTTPSERVER_PROGRAM_PATHS = ['/libhttpserver-api.so', '/usr/lib/libhttpserver-api.so'] as const;

export interface ServerRequest {
  readonly port: number;
  /** OSv's --access-allow: the Access-Control-Allow-Origin header's value. */
  readonly accessAllow?: string;
}

const USAGE = `usage: /libhttpserver-api.so [--port=N] [--ipaddress=0.0.0.0] [--access-allow=ORIGIN]\n`;

/** Options OSv's server has that this one refuses, with the reason given. */
const REFUSED: Readonly<Record<string, string>> = {
  ssl: 'TLS is terminated on the host (osv run --api-cert/--api-key)',
  cert: 'TLS is terminated on the host (osv run --api-cert/--api-key)',
  key: 'TLS is terminated on the host (osv run --api-cert/--api-key)',
  cacert: 'TLS is terminated on the host (osv run --api-cert/--api-key)',
  'config-file': 'configuration files are not read (give the options on the command line)',
};

export class HttpServerOptionError extends Error {
  override readonly name = 'HttpServerOptionError';
}

/** OSv's options → what to start; `help` when asked for the usage. Throws HttpServerOptionError. */
export function parseServerOptions(args: readonly string[], defaultPort: number): ServerRequest | 'help' {
  let port = defaultPort;
  let accessAllow: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const word = args[i]!;
    if (!word.startsWith('--')) throw new HttpServerOptionError(`unexpected argument '${word}'`);
    const eq = word.indexOf('=');
    const key = eq < 0 ? word.slice(2) : word.slice(2, eq);
    if (key === 'help') return 'help';
    if (key === 'ssl') throw new HttpServerOptionError(`--ssl: ${REFUSED['ssl']}`);
    const value = eq >= 0 ? word.slice(eq + 1) : args[++i];
    if (value === undefined) throw new HttpServerOptionError(`option --${key} needs a value`);
    if (REFUSED[key] !== undefined) throw new HttpServerOptionError(`--${key}: ${REFUSED[key]}`);
    if (key === 'port') {
      if (!/^\d{1,5}$/.test(value) || Number(value) < 1 || Number(value) > 65535)
        throw new HttpServerOptionError(`--port ${value}: not a port number (1-65535)`);
      port = Number(value);
    } else if (key === 'ipaddress') {
      // The guest has one interface and the server listens on all of it, as OSv's default.
      if (value !== '0.0.0.0')
        throw new HttpServerOptionError(`--ipaddress ${value}: only 0.0.0.0 (every address of the guest) is served`);
    } else if (key === 'access-allow') {
      accessAllow = value;
    } else {
      throw new HttpServerOptionError(`unknown option --${key}`);
    }
  }
  return accessAllow === undefined ? { port } : { port, accessAllow };
}

/**
 * The program: starts a server per request through `start` (which answers whether one was
 * already serving that port) and prints OSv's line. `serving` says whether a server it started
 * still serves: in the foreground (`/libhttpserver-api.so` alone, OSv's management image) the
 * kernel waits for it, as OSv's main thread waits in the server's main loop.
 */
export function httpServerProgram(
  defaultPort: number,
  start: (request: ServerRequest) => 'started' | 'running',
  serving: () => boolean = () => false,
): BuiltinProgram {
  return {
    paths: HTTPSERVER_PROGRAM_PATHS,
    running: serving,
    run(argv, log) {
      let request: ServerRequest | 'help';
      try {
        request = parseServerOptions(argv.slice(1), defaultPort);
      } catch (e) {
        if (!(e instanceof HttpServerOptionError)) throw e;
        log(`${argv[0]}: ${e.message}\n${USAGE}`);
        return 1;
      }
      if (request === 'help') {
        log(USAGE);
        return 0;
      }
      try {
        start(request);
      } catch (e) {
        log(`${argv[0]}: cannot listen on port ${request.port}: ${(e as Error).message}\n`);
        return 1;
      }
      log(`Rest API server running on port ${request.port}\n`);
      return 0;
    },
  };
}

/** Whether a boot command line names the program (then the module waits for it to run). */
export function namesHttpServerProgram(commandLine: string): boolean {
  return /(^|[\s;&!])\/(usr\/lib\/)?libhttpserver-api\.so(?=[\s;&!]|$)/.test(commandLine);
}
