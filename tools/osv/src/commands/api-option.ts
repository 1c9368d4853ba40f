// `osv run --api[=[HOST:]PORT]` and `--api-monitoring` (OSv's run.py --api and the
// httpserver-monitoring-api module): link the management API into the kernel, turn on user-mode
// networking and forward a host port to the guest's port 8000. The host side binds 127.0.0.1
// unless told otherwise, as run.py's forward does.
import { UsageError } from '../cli-error.js';

/** The port httpserver-api listens on inside the guest (OSv's default). */
export const GUEST_API_PORT = 8000;

export interface ApiOption {
  readonly hostAddress: string;
  readonly hostPort: number;
  /** --api-monitoring: OSv's read-only build. */
  readonly monitoring: boolean;
}

/** `--api` (undefined value), `--api=8001`, `--api=0.0.0.0:8001`. */
export function parseApiOption(value: string | undefined, monitoring: boolean): ApiOption {
  const m = /^(?:(\d{1,3}(?:\.\d{1,3}){3}):)?(\d+)$/.exec(value ?? `${GUEST_API_PORT}`);
  const port = Number(m?.[2]);
  if (!m || port < 1 || port > 65535)
    throw new UsageError(`--api${monitoring ? '-monitoring' : ''}=${value}: expected [HOST:]PORT, e.g. 127.0.0.1:8000`);
  return { hostAddress: m[1] ?? '127.0.0.1', hostPort: port, monitoring };
}

/** The --forward rule that carries the API (host address kept). */
export function apiForwardRule(api: ApiOption): string {
  return `tcp:${api.hostAddress}:${api.hostPort}:${GUEST_API_PORT}`;
}

/** The kernel module that serves it. */
export function apiModuleName(api: ApiOption): string {
  return api.monitoring ? 'httpserver-monitoring-api' : 'httpserver-api';
}

/**
 * The paths OSv's command lines start the server by (`/libhttpserver-api.so &!`); the
 * httpserver-api module runs them (its HTTPSERVER_PROGRAM_PATHS), so naming one links it.
 */
export const API_PROGRAM_PATHS: readonly string[] = ['/libhttpserver-api.so', '/usr/lib/libhttpserver-api.so'];

/** The API program a command line names, as a word of its own (`/libhttpserver-api.so &!`). */
export function apiProgramIn(cmdline: string): string | undefined {
  return /(?:^|[\s;&!])(\/(?:usr\/lib\/)?libhttpserver-api\.so)(?=[\s;&!]|$)/.exec(cmdline)?.[1];
}
