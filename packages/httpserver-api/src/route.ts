// One API route: how it is matched, what it does, and how Swagger 1.2 describes it. The
// /api-doc listings are generated from these same objects, so they list exactly the routes the
// server has (OSv ships hand-written listings beside plugins that may be absent).
import { HttpError } from './http/http-error.js';
import type { HttpRequest } from './http/request-parser.js';
import type { Guest } from './guest.js';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** A Swagger 1.2 parameter (Swagger 1.2 §5.2.4). */
export interface ParamSpec {
  readonly name: string;
  readonly paramType: 'path' | 'query' | 'form';
  /** `File`: a multipart/form-data file part (Swagger 1.2 §4.3.3). */
  readonly type: 'string' | 'long' | 'int' | 'boolean' | 'File';
  readonly required: boolean;
  readonly description: string;
  readonly enum?: readonly string[];
}

/** A handler's answer: a JSON value, or raw bytes (file contents). */
export type RouteResult = { readonly raw: Uint8Array; readonly contentType: string } | { readonly json: unknown };

export interface RouteContext {
  readonly request: HttpRequest;
  /** Path parameters by name (`var`, `path-par`, …). */
  readonly pathParams: Map<string, string>;
  /** Query and form parameters. */
  readonly params: Map<string, string>;
  readonly guest: Guest;
  /** Dispatches another request through the router (api/batch). */
  readonly dispatch: (method: string, target: string) => { status: number; body: unknown };
  /** Work to do after the response is on its way (power-off). */
  readonly after: (action: () => void) => void;
  /** Stops the server that took the request, once the response is on its way (/api/stop). */
  readonly stopServer: () => void;
}

export interface Route {
  readonly group: string;
  readonly method: HttpMethod;
  /**
   * `/os/name`, `/env/{var}`; a parameter that ends the path and is declared `rest` takes the
   * rest of the path, slashes included (OSv's `{path-par}`).
   */
  readonly path: string;
  readonly rest?: boolean;
  readonly nickname: string;
  readonly summary: string;
  /** Swagger type of the response: `string`, `long`, `void`, `array`, or a model name. */
  readonly type: string;
  readonly items?: string;
  readonly params?: readonly ParamSpec[];
  /** Changes the guest's state: left out of the monitoring build. */
  readonly mutates?: true;
  handle(ctx: RouteContext): RouteResult;
}

export function json(value: unknown): RouteResult {
  return { json: value };
}

/** A required parameter, or OSv's bad_param_exception. */
export function required(ctx: RouteContext, name: string): string {
  const v = ctx.params.get(name) ?? ctx.pathParams.get(name);
  if (v === undefined) throw new RequiredParamMissing(name);
  return v;
}

export class RequiredParamMissing extends HttpError {
  constructor(param: string) {
    super(400, `Missing mandatory parameter: ${param}`);
  }
}
