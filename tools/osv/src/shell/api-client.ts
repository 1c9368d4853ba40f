// An HTTP client for OSv's REST management API (httpserver-api): the requests `osv shell` makes.
// node:http(s) rather than fetch, so that a TLS server is checked against the CA the user names
// (--cacert, as OSv's CLI takes OSV_SSL_CACERT) and a bearer token goes with every request.
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface ApiClientOptions {
  /** The API's base URL, e.g. http://127.0.0.1:8000 (OSv's default, as OSV_API). */
  readonly url: string;
  /** PEM of the CA that signed an https server's certificate. */
  readonly ca?: string | Buffer;
  /** Sent as `Authorization: Bearer TOKEN`. */
  readonly token?: string;
  /** Milliseconds to wait for a response. Default 10 s. */
  readonly timeoutMs?: number;
}

export interface ApiResponse {
  readonly status: number;
  /** The body parsed as JSON when it is JSON, else its text. */
  readonly body: unknown;
  readonly raw: Buffer;
}

/** The server could not be reached or did not answer: one line for the user. */
export class ApiUnreachableError extends Error {
  override readonly name = 'ApiUnreachableError';
}

/** A response with an unexpected status: OSv's `{"message", "code"}` when the server sent one. */
export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export type Query = Readonly<Record<string, string | number | boolean | undefined>>;

export class ApiClient {
  private readonly base: URL;

  constructor(private readonly options: ApiClientOptions) {
    try {
      this.base = new URL(options.url);
    } catch {
      throw new ApiUnreachableError(`${options.url}: not a URL (e.g. http://127.0.0.1:8000)`);
    }
    if (this.base.protocol !== 'http:' && this.base.protocol !== 'https:')
      throw new ApiUnreachableError(`${options.url}: the API is served over http or https`);
  }

  get url(): string {
    return this.base.href.replace(/\/$/, '');
  }

  /** `path` is the route (`/os/uptime`); segments are percent-encoded by the caller. */
  request(method: string, path: string, query: Query = {}, body?: string): Promise<ApiResponse> {
    const url = new URL(this.base.pathname.replace(/\/$/, '') + path, this.base);
    for (const [k, v] of Object.entries(query)) if (v !== undefined) url.searchParams.set(k, String(v));
    const headers: Record<string, string> = { Accept: 'application/json' };
    if (this.options.token !== undefined) headers['Authorization'] = `Bearer ${this.options.token}`;
    if (body !== undefined) {
      headers['Content-Type'] = 'application/x-www-form-urlencoded';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method,
          headers,
          timeout: this.options.timeoutMs ?? 10_000,
          ...(this.options.ca !== undefined ? { ca: this.options.ca } : {}),
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', (e) => reject(new ApiUnreachableError(`${this.url}: ${e.message}`)));
          res.on('end', () => {
            const raw = Buffer.concat(chunks);
            resolve({ status: res.statusCode ?? 0, body: parseBody(raw, res.headers['content-type']), raw });
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('no answer in time')));
      req.on('error', (e: NodeJS.ErrnoException) =>
        reject(new ApiUnreachableError(`cannot reach the OSv API at ${this.url}: ${e.code ?? e.message}`)),
      );
      req.end(body);
    });
  }

  /** The response body for a 200, else an ApiError carrying the server's message. */
  async get(path: string, query: Query = {}): Promise<unknown> {
    return expectOk(await this.request('GET', path, query));
  }

  async call(method: string, path: string, query: Query = {}): Promise<unknown> {
    return expectOk(await this.request(method, path, query));
  }
}

export function expectOk(r: ApiResponse): unknown {
  if (r.status === 200) return r.body;
  const b = r.body as { message?: unknown } | undefined;
  const message = typeof b === 'object' && b !== null && typeof b.message === 'string' ? b.message : `HTTP ${r.status}`;
  throw new ApiError(r.status, message);
}

function parseBody(raw: Buffer, type: string | undefined): unknown {
  const text = raw.toString('utf8');
  if (type !== undefined && !/json/i.test(type)) return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
}

/** A guest path as the route's tail: each segment percent-encoded, `/` kept. */
export function routePath(path: string): string {
  return path
    .split('/')
    .map((s) => encodeURIComponent(s))
    .join('/');
}
