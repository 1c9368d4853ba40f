// `api`: any route the server's Swagger listings describe (OSv's modules/cli api command):
// `api os version`, `api -m POST os hostname name=osv`, `api file etc hosts op=GET`.
// No arguments lists the groups (/api-doc); a group alone lists its routes (/api-doc/GROUP).
import { tableFormat } from './table-format.js';
import { ShellCommandError, type ShellCommand } from './shell-context.js';

interface Listing {
  apis: { path: string; operations: { method: string; summary?: string }[] }[];
}

export const apiCommand: ShellCommand = {
  name: 'api',
  desc: 'execute arbitrary OSv API operations as defined by the schema',
  usage:
    'Usage: api [-m METHOD] [-r] API ACTION-WORD... [PARAMETER=value]...\n\n' +
    '  -m, --method METHOD  the method to use (default GET)\n  -r, --raw            print the response as it came\n',
  async run(args, ctx) {
    let method = 'GET';
    let raw = false;
    const words: string[] = [];
    const query: Record<string, string> = {};
    for (let i = 0; i < args.length; i++) {
      const a = args[i]!;
      if (a === '-m' || a === '--method') {
        const m = args[++i];
        if (m === undefined) throw new ShellCommandError(`${a} needs a method`, 2);
        method = m.toUpperCase();
      } else if (a === '-r' || a === '--raw') raw = true;
      else if (a.includes('=')) query[a.slice(0, a.indexOf('='))] = a.slice(a.indexOf('=') + 1);
      else words.push(a);
    }
    if (words.length === 0) {
      const doc = (await ctx.api.get('/api-doc')) as { apis: { path: string; description?: string }[] };
      const rows = [['API', 'DESCRIPTION'], ...doc.apis.map((a) => [a.path.replace(/^\//, ''), a.description ?? ''])];
      ctx.out(`${tableFormat(rows)}\n`);
      return 0;
    }
    if (words.length === 1) {
      const r = await ctx.api.request('GET', `/api-doc/${encodeURIComponent(words[0]!)}`);
      if (r.status !== 200) throw new ShellCommandError(`Unknown API: ${words[0]}`);
      const rows = [['PATH', 'METHOD', 'SUMMARY']];
      for (const api of (r.body as Listing).apis)
        for (const op of api.operations) rows.push([api.path, op.method, op.summary ?? '']);
      ctx.out(`${tableFormat(rows)}\n`);
      return 0;
    }
    const r = await ctx.api.request(method, `/${words.map(encodeURIComponent).join('/')}`, query);
    if (raw) ctx.out(r.raw);
    else ctx.out(`${typeof r.body === 'string' ? r.body : JSON.stringify(r.body, null, 2)}\n`);
    if (r.status !== 200) {
      ctx.err(`api: HTTP ${r.status}\n`);
      return 1;
    }
    return 0;
  },
};
