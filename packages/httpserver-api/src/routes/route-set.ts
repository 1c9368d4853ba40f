// The routes one server answers: the full API, or OSv's httpserver-monitoring-api build, which
// leaves out every route that changes the guest, and the trace and app groups.
import type { Route } from '../route.js';
import { apiDocRoutes } from './api-doc-routes.js';
import { dashboardRoutes } from './dashboard-routes.js';
import { apiRoutes } from './api-routes.js';
import { appRoutes } from './app-routes.js';
import { envRoutes } from './env-routes.js';
import { fileRoutes } from './file-routes.js';
import { networkRoutes } from './network-routes.js';
import { osRoutes } from './os-routes.js';
import { fsRoutes, hardwareRoutes } from './system-routes.js';
import { traceRoutes } from './trace-routes.js';

export interface RouteSetOptions {
  /** The monitoring build: GET routes only (and api/batch, which reaches only those). */
  readonly monitoring?: boolean;
}

export function managementRoutes(options: RouteSetOptions = {}): Route[] {
  const all = [
    ...osRoutes,
    ...envRoutes,
    ...fileRoutes,
    ...fsRoutes,
    ...hardwareRoutes,
    ...networkRoutes,
    ...apiRoutes,
    ...(options.monitoring ? [] : [...traceRoutes, ...appRoutes]),
  ];
  const api = options.monitoring ? all.filter((r) => r.mutates !== true) : all;
  return [...api, ...apiDocRoutes(() => api), ...dashboardRoutes()];
}
