// The host end of `osv run --api`: where the user's HTTP client connects (127.0.0.1:8000 by
// default, as run.py's forward). It terminates TLS (--api-cert/--api-key) and checks the bearer
// token (--api-token) on the host, so neither the key nor the token enters the guest (where
// /os/cmdline and /file would show them), then passes each request to the guest's server
// through the forwarded port.
import { timingSafeEqual } from 'node:crypto';
import {
  createServer as createHttpServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { createServer as createHttpsServer } from 'node:https';

export interface ApiGatewayOptions {
  /** Where users connect (default 127.0.0.1, port 8000). */
  readonly host: string;
  readonly port: number;
  /** The guest server as the host reaches it (the forward's host end). */
  readonly upstream: { readonly host: string; readonly port: number };
  /** Requests without `Authorization: Bearer TOKEN` get 401. */
  readonly token?: string;
  /** PEM certificate chain and key: serve https. */
  readonly tls?: { readonly cert: string | Buffer; readonly key: string | Buffer };
}

/** The gateway could not start (a port in use, a bad certificate): one line for the user. */
export class ApiGatewayError extends Error {
  override readonly name = 'ApiGatewayError';
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'te',
  'trailer',
]);

export class ApiGateway {
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async start(o: ApiGatewayOptions): Promise<ApiGateway> {
    const token = o.token === undefined ? undefined : Buffer.from(`Bearer ${o.token}`);
    const handler = (req: IncomingMessage, res: ServerResponse): void => forward(req, res, o.upstream, token);
    let server: Server;
    try {
      server = o.tls ? createHttpsServer({ cert: o.tls.cert, key: o.tls.key }, handler) : createHttpServer(handler);
    } catch (e) {
      throw new ApiGatewayError(`--api-cert/--api-key: ${(e as Error).message}`);
    }
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', (e: NodeJS.ErrnoException) =>
        reject(
          new ApiGatewayError(
            `--api ${o.host}:${o.port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`,
          ),
        ),
      );
      server.listen(o.port, o.host, resolve);
    });
    const a = server.address();
    const port = typeof a === 'object' && a ? a.port : o.port;
    const host = o.host.includes(':') ? `[${o.host}]` : o.host;
    return new ApiGateway(server, `${o.tls ? 'https' : 'http'}://${host}:${port}`);
  }

  close(): Promise<void> {
    this.server.closeAllConnections();
    return new Promise((resolve) => this.server.close(() => resolve()));
  }
}

function reply(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  const body = JSON.stringify({ message, code: status });
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), ...headers });
  res.end(body);
}

function authorized(req: IncomingMessage, token: Buffer | undefined): boolean {
  if (token === undefined) return true;
  const given = Buffer.from(req.headers.authorization ?? '');
  return given.length === token.length && timingSafeEqual(given, token);
}

function forward(
  req: IncomingMessage,
  res: ServerResponse,
  upstream: ApiGatewayOptions['upstream'],
  token: Buffer | undefined,
): void {
  if (!authorized(req, token)) {
    req.resume();
    reply(res, 401, 'Unauthorized: this API needs its bearer token (osv shell --token FILE)', {
      'WWW-Authenticate': 'Bearer realm="osv"',
    });
    return;
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers))
    if (v !== undefined && !HOP_BY_HOP.has(k) && k !== 'authorization') headers[k] = v;
  const up = httpRequest(
    { host: upstream.host, port: upstream.port, method: req.method, path: req.url, headers },
    (answer) => {
      const out: Record<string, string | string[]> = {};
      for (const [k, v] of Object.entries(answer.headers)) if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
      res.writeHead(answer.statusCode ?? 502, out);
      answer.pipe(res);
    },
  );
  up.on('error', () => {
    if (!res.headersSent) reply(res, 502, 'the guest API does not answer (is the guest still booting?)');
    else res.destroy();
  });
  req.pipe(up);
}
