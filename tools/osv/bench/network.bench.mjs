// The guest's httpd (examples/httpd, C → wasm32-wasi, on the osv-ts netstack) against Node's
// own `http` server on Linux loopback, measured in the same run (docs/architecture.md §6):
//   - wrk request rate, guest on a TAP device (in a private network namespace) and behind
//     passt (--forward from host loopback), one connection per request (the httpd serves
//     one connection at a time);
//   - bulk TCP guest → Linux: curl downloading a 32 MiB file the guest serves from its
//     manifest, vs Node serving the same bytes from memory;
//   - bulk TCP Linux → guest: curl POSTing 32 MiB that the server reads and discards (httpd's
//     upload sink, Node's request stream);
//   - ICMP echo round trip to the guest on its TAP vs to a Linux namespace on a veth pair.
// Prints a table; ratio = osv-ts / Node (higher is better for both req/s and MB/s).
// Run: npm run bench (in tools/osv, after a build; needs root for the namespace).
import { execFile, execFileSync, spawn } from 'node:child_process';
import { promisify } from 'node:util';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const execFileAsync = promisify(execFile);
const REPO = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = join(REPO, 'tools/osv/bin/osv.js');
const HTTPD = join(REPO, 'examples/httpd/httpd.wasm');
const GREETING = 'Hello from osv-ts httpd!\n';
const BULK_BYTES = 32 << 20;
const WRK_SECONDS = Number(process.env.BENCH_WRK_SECONDS ?? 4);
const BULK_RUNS = Number(process.env.BENCH_BULK_RUNS ?? 3);

const dir = mkdtempSync(join(tmpdir(), 'osv-net-bench-'));
const bulk = randomBytes(BULK_BYTES);
writeFileSync(join(dir, 'bulk.bin'), bulk);
writeFileSync(join(dir, 'bench.manifest'), `/srv/bulk.bin: ${join(dir, 'bulk.bin')}\n`);
const ns = `osvb-${randomBytes(4).toString('hex')}`;
const children = [];

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const inNs = (...args) => ['ip', ['netns', 'exec', ns, ...args]];

// Async: Node's peer server lives in this process, so its event loop must keep turning.
async function run([cmd, args]) {
  const { stdout } = await execFileAsync(cmd, args, { encoding: 'utf8', timeout: 120_000, maxBuffer: 16 << 20 });
  return stdout;
}

/** wrk: requests/s, failing loudly on socket errors or non-2xx answers. */
async function wrk(where, url, { close, connections }) {
  const args = [
    '-t',
    String(Math.min(2, connections)),
    '-c',
    String(connections),
    '-d',
    `${WRK_SECONDS}s`,
    '--timeout',
    '5s',
    ...(close ? ['-H', 'Connection: close'] : []),
    url,
  ];
  const out = await run(where === 'ns' ? inNs('wrk', ...args) : ['wrk', args]);
  if (/Socket errors|Non-2xx/.test(out)) process.stderr.write(`network bench: wrk ${url} reported errors:\n${out}\n`);
  return Number(/Requests\/sec:\s+([\d.]+)/.exec(out)[1]);
}

/** curl: MB/s of one 32 MiB upload (a POST the server reads and discards), checked by its answer. */
async function curlUploadMBps(where, url) {
  const args = ['-sS', '-m', '120', '--data-binary', `@${join(dir, 'bulk.bin')}`, '-w', ' %{speed_upload}', url];
  const out = await run(where === 'ns' ? inNs('curl', ...args) : ['curl', args]);
  if (!out.startsWith(`received ${BULK_BYTES} bytes`)) throw new Error(`curl upload to ${url}: ${out}`);
  return Number(out.trim().split(/\s+/).at(-1)) / 1e6;
}

/** curl: MB/s of one download, checked for length. */
async function curlMBps(where, url) {
  const args = ['-sS', '-m', '120', '-o', '/dev/null', '-w', '%{size_download} %{speed_download}', url];
  const [size, speed] = (await run(where === 'ns' ? inNs('curl', ...args) : ['curl', args])).split(' ').map(Number);
  if (size !== BULK_BYTES) throw new Error(`curl ${url}: got ${size} bytes, expected ${BULK_BYTES}`);
  return speed / 1e6;
}

async function waitFor(child, re, what) {
  let text = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}:\n${text}`)), 60_000);
    const on = (d) => {
      text += d.toString();
      const m = re.exec(text);
      if (m) {
        clearTimeout(timer);
        resolve(m);
      }
    };
    child.stdout.on('data', on);
    child.stderr.on('data', on);
    child.once('exit', (code) => reject(new Error(`${what}: exited (${code}):\n${text}`)));
  });
}

function startGuest(cmd, args) {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  child.output = '';
  child.stdout.on('data', (d) => (child.output += d));
  child.stderr.on('data', (d) => (child.output += d));
  children.push(child);
  return child;
}

async function freePort() {
  return new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

const rows = [];
function row(name, ours, peer, unit) {
  rows.push({ name, ours, peer, unit, ratio: ours / peer });
}

try {
  // Node's peer on host loopback: the same greeting, the same bulk bytes.
  const server = http.createServer((req, res) => {
    if (req.method === 'POST') {
      // The upload sink httpd.c has: read the body, discard it, answer with its size.
      let n = 0;
      req.on('data', (d) => (n += d.length));
      req.on('end', () => res.end(`received ${n} bytes\n`));
      return;
    }
    const body = req.url === '/srv/bulk.bin' ? bulk : GREETING;
    res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Length': body.length });
    res.end(body);
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const nodeUrl = `http://127.0.0.1:${server.address().port}`;

  // The guest on a TAP device in a private namespace, Linux at 10.0.0.1.
  execFileSync('ip', ['netns', 'add', ns]);
  await run(inNs('ip', 'link', 'set', 'lo', 'up'));
  await run(inNs('ip', 'tuntap', 'add', 'dev', 'osv0', 'mode', 'tap'));
  await run(inNs('ip', 'addr', 'add', '10.0.0.1/24', 'dev', 'osv0'));
  const tapGuest = startGuest(
    ...inNs(
      process.execPath,
      CLI,
      'run',
      '-V',
      '-m',
      '256M',
      '-n',
      '--tap',
      'osv0',
      '--tcplisten',
      '0.0.0.0:80',
      '--ip',
      'eth0,10.0.0.2,255.255.255.0',
      '--manifest',
      join(dir, 'bench.manifest'),
      HTTPD,
    ),
  );
  await waitFor(tapGuest, /httpd: serving/, 'the guest on the TAP device');
  const tapUrl = 'http://10.0.0.2';

  // A Linux peer for latency: a second namespace on a veth pair, the position the guest holds
  // on its TAP link.
  await run(['ip', ['netns', 'add', `${ns}-peer`]]);
  await run(inNs('ip', 'link', 'add', 'veth0', 'type', 'veth', 'peer', 'name', 'veth1', 'netns', `${ns}-peer`));
  await run(inNs('ip', 'addr', 'add', '10.0.1.1/24', 'dev', 'veth0'));
  await run(inNs('ip', 'link', 'set', 'veth0', 'up'));
  await run(['ip', ['netns', 'exec', `${ns}-peer`, 'ip', 'addr', 'add', '10.0.1.2/24', 'dev', 'veth1']]);
  await run(['ip', ['netns', 'exec', `${ns}-peer`, 'ip', 'link', 'set', 'veth1', 'up']]);

  // The guest behind passt, forwarded from host loopback.
  const port = await freePort();
  const passtGuest = startGuest(process.execPath, [
    CLI,
    'run',
    '-V',
    '-m',
    '256M',
    '-n',
    '--forward',
    `tcp:${port}:80`,
    '--tcplisten',
    '0.0.0.0:80',
    '--manifest',
    join(dir, 'bench.manifest'),
    HTTPD,
  ]);
  await waitFor(passtGuest, /httpd: serving/, 'the guest behind passt');
  const passtUrl = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 50; i++) {
    try {
      await run(['curl', ['-sS', '-m', '2', passtUrl + '/']]);
      break;
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  // Warm up each path (JIT, kernel bundle caches), then measure, alternating peers.
  await wrk('ns', `${tapUrl}/`, { close: true, connections: 2 });
  await wrk('host', `${nodeUrl}/`, { close: true, connections: 2 });
  row(
    'wrk req/s, TAP, -c 10, Connection: close',
    await wrk('ns', `${tapUrl}/`, { close: true, connections: 10 }),
    await wrk('host', `${nodeUrl}/`, { close: true, connections: 10 }),
    'req/s',
  );
  row(
    'wrk req/s, passt, -c 10, Connection: close',
    await wrk('host', `${passtUrl}/`, { close: true, connections: 10 }),
    await wrk('host', `${nodeUrl}/`, { close: true, connections: 10 }),
    'req/s',
  );
  // Keep-alive: httpd multiplexes its connections with poll() and queues head and body as one
  // buffer, so a kept connection does not wait on Nagle and a delayed ACK.
  row(
    'wrk req/s, TAP, -c 100, keep-alive',
    await wrk('ns', `${tapUrl}/`, { close: false, connections: 100 }),
    await wrk('host', `${nodeUrl}/`, { close: false, connections: 100 }),
    'req/s',
  );
  row(
    'wrk req/s, passt, -c 100, keep-alive',
    await wrk('host', `${passtUrl}/`, { close: false, connections: 100 }),
    await wrk('host', `${nodeUrl}/`, { close: false, connections: 100 }),
    'req/s',
  );

  // Round-trip latency: what bounds a TCP window's worth of frames (see README).
  const rttUs = async (host) => {
    const out = await run(inNs('ping', '-c', '200', '-i', '0.005', '-q', '-W', '1', host));
    return Number(/= [\d.]+\/([\d.]+)\//.exec(out)[1]) * 1000;
  };
  await rttUs('10.0.0.2');
  row(
    'ICMP echo RTT, TAP guest vs Linux netns on veth (lower is better)',
    await rttUs('10.0.0.2'),
    await rttUs('10.0.1.2'),
    'µs',
  );

  const tapBulk = [];
  const passtBulk = [];
  const nodeBulk = [];
  for (let i = 0; i < BULK_RUNS; i++) {
    tapBulk.push(await curlMBps('ns', `${tapUrl}/srv/bulk.bin`));
    passtBulk.push(await curlMBps('host', `${passtUrl}/srv/bulk.bin`));
    nodeBulk.push(await curlMBps('host', `${nodeUrl}/srv/bulk.bin`));
  }
  row('bulk TCP guest→Linux, TAP, 32 MiB', median(tapBulk), median(nodeBulk), 'MB/s');
  row('bulk TCP guest→Linux, passt, 32 MiB', median(passtBulk), median(nodeBulk), 'MB/s');
  const tapUp = [];
  const passtUp = [];
  const nodeUp = [];
  for (let i = 0; i < BULK_RUNS; i++) {
    tapUp.push(await curlUploadMBps('ns', `${tapUrl}/sink`));
    passtUp.push(await curlUploadMBps('host', `${passtUrl}/sink`));
    nodeUp.push(await curlUploadMBps('host', `${nodeUrl}/sink`));
  }
  row('bulk TCP Linux→guest, TAP, 32 MiB POST', median(tapUp), median(nodeUp), 'MB/s');
  row('bulk TCP Linux→guest, passt, 32 MiB POST', median(passtUp), median(nodeUp), 'MB/s');
  server.close();
} catch (e) {
  for (const c of children) process.stderr.write(`--- guest ${c.spawnargs.join(' ')}:\n${c.output}\n`);
  throw e;
} finally {
  for (const c of children) {
    try {
      process.kill(-c.pid, 'SIGKILL');
    } catch {
      // gone
    }
  }
  for (const name of [ns, `${ns}-peer`]) {
    try {
      execFileSync('ip', ['netns', 'del', name], { stdio: 'ignore' });
    } catch {
      // not created
    }
  }
  rmSync(dir, { recursive: true, force: true });
}

process.stdout.write(
  `\nosv-ts network (httpd.wasm in the guest vs Node http on loopback; node ${process.version}; ${new Date().toISOString()})\n`,
);
const w = Math.max(...rows.map((r) => r.name.length));
for (const r of rows) {
  process.stdout.write(
    `${r.name.padEnd(w)}  ${r.ours.toFixed(1).padStart(9)} ${r.unit}  vs ${r.peer.toFixed(1).padStart(9)} ${r.unit} ${r.unit === 'µs' ? 'Linux' : 'node http'}  ratio ${r.ratio.toFixed(3)}x\n`,
  );
}
