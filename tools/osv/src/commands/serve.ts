// `osv serve DIR [--port N]`: serves a vm-browser site on 127.0.0.1 with the headers that make
// the page cross-origin isolated (COOP same-origin, COEP require-corp), without which browsers
// give it no SharedArrayBuffer — the guest's RAM (HTML Living Standard, "cross-origin isolated").
import { createServer } from 'node:http';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, normalize, sep } from 'node:path';
import { CliError, UsageError } from '../cli-error.js';

export const SERVE_USAGE = `usage: osv serve DIR [--port N]

Serves a site written by osv build --profile vm-browser -o DIR on http://127.0.0.1:N/ (default
port 8123; 0 picks a free one) with the COOP/COEP headers SharedArrayBuffer needs. Runs until
interrupted.
`;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.css': 'text/css; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
};

export async function serveCommand(argv: readonly string[]): Promise<number> {
  let dir: string | undefined;
  let port = 8123;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '-h' || arg === '--help') {
      process.stdout.write(SERVE_USAGE);
      return 0;
    }
    if (arg === '--port' || arg.startsWith('--port=')) {
      const v = arg.includes('=') ? arg.slice(7) : argv[++i];
      if (v === undefined || !/^\d+$/.test(v) || Number(v) > 65535)
        throw new UsageError(`--port ${v ?? ''}: expected a port number, 0 to 65535`);
      port = Number(v);
    } else if (arg.startsWith('-') || dir !== undefined)
      throw new UsageError(`unknown option '${arg}' (osv serve --help lists the options)`);
    else dir = arg;
  }
  if (dir === undefined)
    throw new UsageError('osv serve needs the DIR of a site (osv build --profile vm-browser -o DIR)');
  if (!existsSync(join(dir, 'osv.json')))
    throw new CliError(`${dir}: not a site osv build wrote (no osv.json; osv build --profile vm-browser -o ${dir})`);
  const root = normalize(dir);
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://localhost').pathname);
    const file = normalize(join(root, path === '/' ? 'index.html' : path));
    const headers = {
      'Cross-Origin-Opener-Policy': 'same-origin',
      'Cross-Origin-Embedder-Policy': 'require-corp',
      'Cache-Control': 'no-store',
    };
    if (!file.startsWith(root + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, headers).end('not found\n');
      return;
    }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
    res.end(readFileSync(file));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      reject(new CliError(`--port ${port}: ${e.code === 'EADDRINUSE' ? 'in use' : e.message}`)),
    );
    server.listen(port, '127.0.0.1', resolve);
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  process.stdout.write(`osv serve: http://127.0.0.1:${bound}/ (Ctrl-C stops)\n`);
  await new Promise<void>((resolve) => process.once('SIGINT', resolve).once('SIGTERM', resolve));
  server.close();
  return 0;
}
