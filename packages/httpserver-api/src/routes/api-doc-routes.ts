// GET /api-doc and /api-doc/{group}: the Swagger 1.2 listings of the routes this server has.
import { apiDeclaration, groupsOf, resourceListing } from '../api-doc/listings.js';
import { notFound } from '../http/http-error.js';
import { json, type Route } from '../route.js';

export function apiDocRoutes(served: () => readonly Route[]): Route[] {
  return [
    {
      group: 'api-doc',
      method: 'GET',
      path: '/api-doc',
      nickname: 'resource_listing',
      summary: 'The Swagger 1.2 resource listing',
      type: 'string',
      handle: () => json(resourceListing(served())),
    },
    {
      group: 'api-doc',
      method: 'GET',
      path: '/api-doc/{group}',
      nickname: 'api_declaration',
      summary: "A group's Swagger 1.2 API declaration",
      type: 'string',
      handle: (ctx) => {
        const group = ctx.pathParams.get('group')!;
        if (!groupsOf(served()).includes(group)) throw notFound(`no API group ${group}`);
        const host = ctx.request.headers.get('host') ?? '127.0.0.1:8000';
        return json(apiDeclaration(served(), group, `http://${host}`));
      },
    },
  ];
}
