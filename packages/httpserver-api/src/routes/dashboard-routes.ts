// GET /dashboard/ (and /dashboard): the live page OSv's httpserver-html5-gui serves there. Not
// an API group: it is left out of /api-doc, as OSv's GUI is a file mapping, not a plugin.
import { DASHBOARD_HTML } from '../dashboard/dashboard-page.js';
import type { Route } from '../route.js';

const page = new TextEncoder().encode(DASHBOARD_HTML);

export function dashboardRoutes(): Route[] {
  return ['/dashboard/', '/dashboard'].map((path) => ({
    group: 'dashboard',
    method: 'GET',
    path,
    nickname: 'dashboard',
    summary: 'The guest dashboard (HTML)',
    type: 'string',
    handle: () => ({ raw: page, contentType: 'text/html; charset=utf-8' }),
  }));
}
