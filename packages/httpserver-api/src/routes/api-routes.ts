// The `api` group (OSv api/api.cc): /api/batch runs a list of requests through the router;
// /api/stop stops the server.
// OSv parses the batch with a small state machine rather than a JSON parser: keys and values are
// quoted with `"` or `'`, only `method` and `relative_url` count, a missing leading `/` is added.
import { badParam } from '../http/http-error.js';
import { json, required, type Route } from '../route.js';

/** `[{"method": "GET", "relative_url": "/os/name"}, …]` with either quote; 400 when malformed. */
export function parseBatch(text: string): { method: string; url: string }[] {
  const out: { method: string; url: string }[] = [];
  let i = 0;
  const skip = (): void => {
    while (i < text.length && /\s/.test(text[i]!)) i++;
  };
  const expect = (c: string): void => {
    skip();
    if (text[i] !== c) throw badParam(`batch: expected '${c}' at ${i}`);
    i++;
  };
  const quoted = (): string => {
    skip();
    const q = text[i];
    if (q !== '"' && q !== "'") throw badParam(`batch: expected a quoted string at ${i}`);
    const end = text.indexOf(q, i + 1);
    if (end < 0) throw badParam('batch: unclosed string');
    const s = text.slice(i + 1, end);
    i = end + 1;
    return s;
  };
  expect('[');
  skip();
  if (text[i] === ']') return out;
  for (;;) {
    expect('{');
    const fields = new Map<string, string>();
    skip();
    if (text[i] !== '}') {
      for (;;) {
        const key = quoted();
        expect(':');
        fields.set(key, quoted());
        skip();
        if (text[i] === ',') {
          i++;
          continue;
        }
        break;
      }
    }
    expect('}');
    const url = fields.get('relative_url') ?? '/';
    out.push({ method: (fields.get('method') ?? 'GET').toUpperCase(), url: url.startsWith('/') ? url : `/${url}` });
    skip();
    if (i >= text.length) throw badParam('batch: the list is not closed');
    if (text[i] === ',') {
      i++;
      continue;
    }
    expect(']');
    return out;
  }
}

export const apiRoutes: readonly Route[] = [
  {
    group: 'api',
    method: 'POST',
    path: '/api/batch',
    nickname: 'api_batch',
    summary: 'Perform a batch of API calls',
    type: 'array',
    items: 'string',
    params: [{ name: 'batch', paramType: 'form', type: 'string', required: true, description: 'list of requests' }],
    handle: (ctx) =>
      json(
        parseBatch(required(ctx, 'batch')).map((r) => {
          const { status, body } = ctx.dispatch(r.method, r.url);
          return { code: status, body };
        }),
      ),
  },
  {
    group: 'api',
    method: 'POST',
    path: '/api/stop',
    nickname: 'stop_api',
    summary: 'Stop the API server',
    type: 'void',
    mutates: true,
    handle: (ctx) => {
      // OSv's server stops once this response is out; a foreground /libhttpserver-api.so then
      // returns, and the guest goes on to its next command (or powers off).
      ctx.stopServer();
      return json('');
    },
  },
];
