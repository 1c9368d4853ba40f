// @osv-ts/httpserver-api: OSv's REST management API for osv-ts. The kernel modules are the
// ./httpserver-module and ./monitoring-module entries; this is the library underneath.
export { HttpServer, DEFAULT_PORT } from './server.js';
export type { HttpServerOptions } from './server.js';
export { HttpRequestParser, DEFAULT_LIMITS } from './http/request-parser.js';
export type { HttpRequest, HttpRequestLimits } from './http/request-parser.js';
export { HttpError, HttpParseError } from './http/http-error.js';
export {
  MultipartError,
  multipartBoundary,
  parseMultipart,
  MAX_MULTIPART_PARTS,
  MAX_PART_HEADER_BYTES,
} from './http/multipart.js';
export type { MultipartPart } from './http/multipart.js';
export type { HttpResponse } from './http/response.js';
export { Router } from './router.js';
export type { RouterOptions } from './router.js';
export { managementRoutes } from './routes/route-set.js';
export type { RouteSetOptions } from './routes/route-set.js';
export type { Route, RouteContext, RouteResult, ParamSpec, HttpMethod } from './route.js';
export type { Guest } from './guest.js';
export { HTTPSERVER_API_CAPABILITY } from './management-module.js';
