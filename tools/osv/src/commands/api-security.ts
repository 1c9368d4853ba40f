// `osv run --api --api-token FILE --api-cert FILE --api-key FILE`: the API behind a gateway on
// the host (ApiGateway), which checks the token and terminates TLS; passt then forwards a
// loopback port of the gateway's only, so the guest's plain-HTTP server is not reachable
// around it.
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { ApiGateway, ApiGatewayError } from '../api-gateway/api-gateway.js';
import { CliError, describeSystemError } from '../cli-error.js';
import { GUEST_API_PORT } from './api-option.js';
import type { RunOptions } from './run-options.js';

export interface ApiGatewayPlan {
  /** The passt forward the gateway talks to: 127.0.0.1:PORT → guest :8000. */
  readonly forwardRule: string;
  start(): Promise<ApiGateway>;
}

function readPem(path: string, option: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`${option} ${path}: ${describeSystemError(e)}`);
  }
}

/** A loopback port free right now (the kernel picks it); passt binds it moments later. */
async function freeLoopbackPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.listen(0, '127.0.0.1', resolve);
  });
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((resolve) => s.close(() => resolve()));
  return port;
}

/** Undefined unless a token or TLS is asked for; reads the files now, before anything boots. */
export async function planApiGateway(o: RunOptions): Promise<ApiGatewayPlan | undefined> {
  const api = o.api;
  if (!api || (o.apiToken === undefined && o.apiCert === undefined)) return undefined;
  const token = o.apiToken === undefined ? undefined : readPem(o.apiToken, '--api-token').split('\n')[0]!.trim();
  if (token === '') throw new CliError(`--api-token ${o.apiToken}: the file's first line is empty`);
  const tls =
    o.apiCert === undefined
      ? undefined
      : { cert: readPem(o.apiCert, '--api-cert'), key: readPem(o.apiKey!, '--api-key') };
  const port = await freeLoopbackPort();
  return {
    forwardRule: `tcp:127.0.0.1:${port}:${GUEST_API_PORT}`,
    start: async () => {
      try {
        return await ApiGateway.start({
          host: api.hostAddress,
          port: api.hostPort,
          upstream: { host: '127.0.0.1', port },
          ...(token !== undefined ? { token } : {}),
          ...(tls ? { tls } : {}),
        });
      } catch (e) {
        if (e instanceof ApiGatewayError) throw new CliError(e.message);
        throw e;
      }
    },
  };
}
