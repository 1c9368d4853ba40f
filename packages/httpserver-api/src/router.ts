// Matches a request to a route and runs it, turning what it returns or throws into a response:
// JSON for values, OSv's `{"message": …, "code": …}` for errors (400/404/500; 405 for a path
// that exists under another method). Paths match segment by segment; `{name}` takes one
// segment, and a route's trailing rest parameter takes the remainder.
import { KernelError } from '@osv-ts/kernel-api';
import { HttpError } from './http/http-error.js';
import { parseFormInto, type HttpRequest } from './http/request-parser.js';
import { jsonResponse, type HttpResponse } from './http/response.js';
import type { Guest } from './guest.js';
import type { Route, RouteContext } from './route.js';

interface CompiledRoute {
  readonly route: Route;
  readonly segments: readonly string[];
}

export interface RouterOptions {
  /** OSv's --access-allow: the Access-Control-Allow-Origin value, when set. */
  readonly accessAllow?: string;
}

export class Router {
  private readonly compiled: CompiledRoute[];

  constructor(
    readonly routes: readonly Route[],
    private readonly guest: Guest,
    private readonly options: RouterOptions = {},
  ) {
    this.compiled = routes.map((route) => ({ route, segments: route.path.split('/').slice(1) }));
  }

  /**
   * Handles one request; `after` collects work to run once the response is sent, `stopServer`
   * stops the server that received it (POST /api/stop).
   */
  handle(
    request: HttpRequest,
    after: (action: () => void) => void = () => {},
    stopServer: () => void = () => {},
  ): HttpResponse {
    const r = this.run(request, after, stopServer);
    const headers: [string, string][] = [];
    if (this.options.accessAllow !== undefined) headers.push(['Access-Control-Allow-Origin', this.options.accessAllow]);
    if ('raw' in r) return { status: r.status, contentType: r.contentType, body: r.raw, headers };
    return { ...jsonResponse(r.status, r.body), headers };
  }

  /** Runs a request and returns its status and JSON body (raw bodies as text): for api/batch. */
  dispatchJson(
    request: HttpRequest,
    after: (action: () => void) => void,
    stopServer: () => void = () => {},
  ): { status: number; body: unknown } {
    const r = this.run(request, after, stopServer);
    if ('raw' in r) return { status: r.status, body: new TextDecoder().decode(r.raw) };
    return r;
  }

  private run(
    request: HttpRequest,
    after: (action: () => void) => void,
    stopServer: () => void,
  ): { status: number; body: unknown } | { status: number; raw: Uint8Array; contentType: string } {
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const match = this.match(method, request.path);
    if (match === 'wrong-method') return errorBody(new HttpError(405, `Method ${request.method} not allowed`));
    if (!match) return errorBody(new HttpError(404, 'Not found'));
    const params = new Map(request.query);
    const type = request.headers.get('content-type') ?? '';
    if (type.startsWith('application/x-www-form-urlencoded')) {
      try {
        parseFormInto(new TextDecoder().decode(request.body), params);
      } catch {
        return errorBody(new HttpError(400, 'bad percent-encoding in the form body'));
      }
    }
    const ctx: RouteContext = {
      request,
      pathParams: match.pathParams,
      params,
      guest: this.guest,
      dispatch: (m, target) => this.dispatchJson(syntheticRequest(m, target), after, stopServer),
      after,
      stopServer,
    };
    try {
      const result = match.route.handle(ctx);
      if ('raw' in result) return { status: 200, raw: result.raw, contentType: result.contentType };
      return { status: 200, body: result.json };
    } catch (e) {
      if (e instanceof HttpError) return errorBody(e);
      // A kernel error underneath (ENOENT from the VFS, …) is OSv's 500 with the error's text,
      // except "no such thing", which OSv's file routes report as 404.
      if (e instanceof KernelError) return errorBody(new HttpError(e.errno === 2 ? 404 : 500, e.message, e.errno));
      throw e;
    }
  }

  private match(
    method: string,
    path: string,
  ): { route: Route; pathParams: Map<string, string> } | 'wrong-method' | undefined {
    const segments = path.split('/').slice(1);
    let other = false;
    for (const c of this.compiled) {
      const pathParams = matchSegments(c, segments);
      if (!pathParams) continue;
      if (c.route.method === method) return { route: c.route, pathParams };
      other = true;
    }
    return other ? 'wrong-method' : undefined;
  }
}

function matchSegments(c: CompiledRoute, segments: readonly string[]): Map<string, string> | undefined {
  const params = new Map<string, string>();
  const pattern = c.segments;
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i]!;
    const isParam = p.startsWith('{') && p.endsWith('}');
    if (isParam && c.route.rest === true && i === pattern.length - 1) {
      if (segments.length <= i) return undefined;
      params.set(p.slice(1, -1), '/' + segments.slice(i).join('/'));
      return params;
    }
    const s = segments[i];
    if (s === undefined) return undefined;
    if (isParam) {
      if (s === '') return undefined;
      params.set(p.slice(1, -1), s);
    } else if (p !== s) return undefined;
  }
  return segments.length === pattern.length ? params : undefined;
}

function errorBody(e: HttpError): { status: number; body: unknown } {
  return { status: e.status, body: { message: e.detail, code: e.status } };
}

/** A request built from a method and a target (api/batch's elements). */
export function syntheticRequest(method: string, target: string): HttpRequest {
  const q = target.indexOf('?');
  const query = new Map<string, string>();
  let path = q < 0 ? target : target.slice(0, q);
  try {
    path = decodeURIComponent(path);
    if (q >= 0) parseFormInto(target.slice(q + 1), query);
  } catch {
    // left as sent: the route will not match, which is a 404 like any unknown path
  }
  return {
    method,
    target,
    path,
    query,
    version: 'HTTP/1.1',
    headers: new Map(),
    body: new Uint8Array(0),
    keepAlive: true,
  };
}
