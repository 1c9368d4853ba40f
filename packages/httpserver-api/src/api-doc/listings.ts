// Swagger 1.2 discovery (OSv json/api_docs.cc): /api-doc is the resource listing, one entry per
// group the server has; /api-doc/<group> is that group's API declaration, generated from the
// same Route objects the router dispatches, so the listing is exactly what answers.
import type { Route } from '../route.js';
import { GROUP_MODELS } from './models.js';

export const API_VERSION = '0.0.1';
export const SWAGGER_VERSION = '1.2';

export const GROUP_DESCRIPTIONS: Record<string, string> = {
  os: 'OS core API',
  env: 'Environment variables API',
  file: 'File API',
  fs: 'File system API',
  hardware: 'Hardware management API',
  network: 'Network API',
  api: 'API API',
  trace: 'Trace API',
  app: 'Application API',
};

export function groupsOf(routes: readonly Route[]): string[] {
  return [...new Set(routes.map((r) => r.group))];
}

export function resourceListing(routes: readonly Route[]): unknown {
  return {
    apiVersion: API_VERSION,
    swaggerVersion: SWAGGER_VERSION,
    apis: groupsOf(routes).map((g) => ({ path: `/${g}`, description: GROUP_DESCRIPTIONS[g] ?? g })),
  };
}

/** The API declaration of one group; `basePath` is `<protocol>://<host>` as the client reached us. */
export function apiDeclaration(routes: readonly Route[], group: string, basePath: string): unknown {
  const mine = routes.filter((r) => r.group === group);
  const paths = [...new Set(mine.map((r) => r.path))];
  return {
    apiVersion: API_VERSION,
    swaggerVersion: SWAGGER_VERSION,
    basePath,
    resourcePath: `/${group}`,
    produces: ['application/json'],
    apis: paths.map((path) => ({
      path,
      operations: mine
        .filter((r) => r.path === path)
        .map((r) => ({
          method: r.method,
          summary: r.summary,
          notes: r.summary,
          type: r.type,
          ...(r.items !== undefined ? { items: { type: r.items } } : {}),
          nickname: r.nickname,
          produces: ['application/json'],
          parameters: (r.params ?? []).map((p) => ({
            name: p.name,
            description: p.description,
            required: p.required,
            allowMultiple: false,
            type: p.type,
            paramType: p.paramType,
            ...(p.enum ? { enum: p.enum } : {}),
          })),
        })),
    })),
    models: Object.fromEntries((GROUP_MODELS[group] ?? []).map((m) => [m.id, m])),
  };
}
