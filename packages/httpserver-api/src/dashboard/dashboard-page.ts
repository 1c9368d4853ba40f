// The dashboard at /dashboard/ (where OSv's httpserver-html5-gui sits): one self-contained page
// that polls this server's own routes and shows the guest live — uptime, memory and CPU (with
// plots over the last minutes), threads, mounts, interfaces with counters, trace counters and
// the console log. No scripts from elsewhere: the guest may have no route to the internet.

export const DASHBOARD_HTML = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>osv-ts guest</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
  body { font: 14px system-ui, sans-serif; margin: 0; background: #f5f6f8; color: #1d2330; }
  header { background: #1d2330; color: #fff; padding: 10px 18px; display: flex; gap: 24px; align-items: baseline; }
  header h1 { font-size: 18px; margin: 0; }
  main { display: grid; grid-template-columns: repeat(auto-fit, minmax(420px, 1fr)); gap: 14px; padding: 14px; }
  section { background: #fff; border-radius: 6px; padding: 10px 14px; box-shadow: 0 1px 2px #0002; }
  h2 { font-size: 15px; margin: 0 0 8px; }
  table { border-collapse: collapse; width: 100%; font-variant-numeric: tabular-nums; }
  th, td { text-align: left; padding: 2px 8px 2px 0; border-bottom: 1px solid #eee; }
  td.n, th.n { text-align: right; }
  canvas { width: 100%; height: 110px; display: block; }
  pre { max-height: 260px; overflow: auto; background: #111; color: #ddd; padding: 8px; margin: 0; font-size: 12px; }
  .muted { color: #778; }
  .error { color: #b00; }
</style>
</head>
<body>
<header>
  <h1 id="title">osv-ts</h1>
  <span>up <b data-testid="uptime" id="uptime">…</b></span>
  <span id="version" class="muted"></span>
  <span id="status" class="muted"></span>
</header>
<main>
  <section><h2>Memory</h2>
    <div><span data-testid="mem-used" id="mem-used">…</span> used of <span id="mem-total">…</span>
      (<span id="mem-free">…</span> free)</div>
    <canvas id="mem-plot" width="800" height="220"></canvas></section>
  <section><h2>CPU</h2>
    <div><span data-testid="cpu" id="cpu">…</span> busy, <span id="thread-count">…</span> threads</div>
    <canvas id="cpu-plot" width="800" height="220"></canvas></section>
  <section><h2>Threads</h2><table data-testid="threads"><thead><tr>
    <th class="n">ID</th><th>Name</th><th>Status</th><th class="n">CPU ms</th><th class="n">%CPU</th><th class="n">switches</th>
    </tr></thead><tbody id="threads"></tbody></table></section>
  <section><h2>File systems</h2><table data-testid="mounts"><thead><tr>
    <th>Filesystem</th><th>Mounted on</th><th class="n">Size</th><th class="n">Used</th><th class="n">Use%</th>
    </tr></thead><tbody id="mounts"></tbody></table></section>
  <section><h2>Network interfaces</h2><table data-testid="interfaces"><thead><tr>
    <th>Name</th><th>Address</th><th class="n">RX packets</th><th class="n">RX bytes</th><th class="n">TX packets</th><th class="n">TX bytes</th>
    </tr></thead><tbody id="interfaces"></tbody></table></section>
  <section><h2>Trace counters</h2><table data-testid="trace"><thead><tr>
    <th>Tracepoint</th><th class="n">Count</th></tr></thead><tbody id="trace"></tbody></table></section>
  <section style="grid-column: 1 / -1"><h2>Console log</h2><pre data-testid="dmesg" id="dmesg"></pre></section>
</main>
<script>
"use strict";
const HISTORY = 300;
const memHistory = [];
const cpuHistory = [];
let lastThreads;
const $ = (id) => document.getElementById(id);
const get = async (path) => {
  const r = await fetch(path, { headers: { Accept: "application/json" } });
  if (!r.ok) throw new Error(path + ": HTTP " + r.status);
  return r.json();
};
const bytes = (n) => {
  const units = ["B", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  return (i === 0 ? n : n.toFixed(1)) + " " + units[i];
};
const duration = (s) => {
  const d = Math.floor(s / 86400), h = Math.floor(s / 3600) % 24, m = Math.floor(s / 60) % 60, sec = Math.floor(s % 60);
  return (d ? d + "d " : "") + (d || h ? h + "h " : "") + (d || h || m ? m + "m " : "") + sec + "s";
};
const cell = (text, numeric) => {
  const td = document.createElement("td");
  td.textContent = String(text);
  if (numeric) td.className = "n";
  return td;
};
const fill = (id, rows) => {
  const body = $(id);
  body.replaceChildren(...rows.map((cells) => {
    const tr = document.createElement("tr");
    for (const [text, numeric] of cells) tr.append(cell(text, numeric));
    return tr;
  }));
};
function plot(canvas, values, max, color, label) {
  const g = canvas.getContext("2d");
  const w = canvas.width, h = canvas.height;
  g.clearRect(0, 0, w, h);
  g.strokeStyle = "#ddd";
  for (let i = 1; i < 4; i++) { g.beginPath(); g.moveTo(0, (h * i) / 4); g.lineTo(w, (h * i) / 4); g.stroke(); }
  g.fillStyle = "#778";
  g.font = "20px system-ui";
  g.fillText(label, 6, 22);
  if (values.length < 2) return;
  g.strokeStyle = color;
  g.lineWidth = 3;
  g.beginPath();
  values.forEach((v, i) => {
    const x = (w * (i + HISTORY - values.length)) / (HISTORY - 1);
    const y = h - 4 - ((h - 30) * Math.min(v, max)) / (max || 1);
    i === 0 ? g.moveTo(x, y) : g.lineTo(x, y);
  });
  g.stroke();
}
const push = (list, v) => { list.push(v); if (list.length > HISTORY) list.shift(); };
async function refresh() {
  const [uptime, total, free, threads] = await Promise.all([
    get("/os/uptime"), get("/os/memory/total"), get("/os/memory/free"), get("/os/threads"),
  ]);
  $("uptime").textContent = duration(uptime);
  $("mem-total").textContent = bytes(total);
  $("mem-free").textContent = bytes(free);
  $("mem-used").textContent = bytes(total - free);
  push(memHistory, total - free);
  plot($("mem-plot"), memHistory, total, "#2a6fdb", "used memory (max " + bytes(total) + ")");
  const before = new Map((lastThreads ? lastThreads.list : []).map((t) => [t.id, t.cpu_ms]));
  const span = lastThreads ? Math.max(1, threads.time_ms - lastThreads.time_ms) : 0;
  let busy = 0;
  const rows = threads.list.map((t) => {
    const used = t.cpu_ms - (before.get(t.id) ?? t.cpu_ms);
    if (!/^idle/.test(t.name)) busy += used;
    return { t, pct: span ? (100 * used) / span : 0 };
  }).sort((a, b) => b.pct - a.pct || a.t.id - b.t.id);
  const cpu = span ? Math.min(100, (100 * busy) / span) : 0;
  $("cpu").textContent = cpu.toFixed(1) + "%";
  $("thread-count").textContent = String(threads.list.length);
  if (lastThreads) push(cpuHistory, cpu);
  plot($("cpu-plot"), cpuHistory, 100, "#d9480f", "CPU busy % (of 1 vCPU)");
  fill("threads", rows.map(({ t, pct }) => [[t.id, true], [t.name], [t.status], [t.cpu_ms, true], [pct.toFixed(1), true], [t.switches, true]]));
  lastThreads = threads;
}
async function refreshSlow() {
  const results = await Promise.allSettled([
    get("/fs/df/"), get("/network/ifconfig/"), get("/trace/count"), get("/os/dmesg"), get("/os/version"), get("/os/hostname"),
  ]);
  const [df, ifs, trace, dmesg, version, hostname] = results.map((r) => (r.status === "fulfilled" ? r.value : undefined));
  if (df) fill("mounts", df.map((m) => {
    const size = m.btotal * m.blocksize, used = (m.btotal - m.bfree) * m.blocksize;
    return [[m.filesystem], [m.mount], [bytes(size), true], [bytes(used), true], [(m.btotal ? (100 * used) / size : 0).toFixed(1) + "%", true]];
  }));
  if (ifs) fill("interfaces", ifs.map((i) => [[i.config.name], [i.config.addr], [i.data.ifi_ipackets, true], [bytes(i.data.ifi_ibytes), true], [i.data.ifi_opackets, true], [bytes(i.data.ifi_obytes), true]]));
  if (trace && trace.list.length > 0) fill("trace", trace.list.map((c) => [[c.name], [c.count, true]]));
  else if (trace) fill("trace", [[["no tracepoint is counted: POST /trace/count/NAME?enabled=true"]]]);
  else fill("trace", [[["no trace group on this guest (the monitoring build)"]]]);
  if (dmesg !== undefined) {
    const pre = $("dmesg");
    const atEnd = pre.scrollTop + pre.clientHeight >= pre.scrollHeight - 4;
    pre.textContent = dmesg;
    if (atEnd) pre.scrollTop = pre.scrollHeight;
  }
  if (version !== undefined) $("version").textContent = version;
  if (hostname !== undefined) { $("title").textContent = hostname; document.title = hostname + " — osv-ts"; }
}
let tick = 0;
async function loop() {
  try {
    await refresh();
    if (tick++ % 3 === 0) await refreshSlow();
    $("status").textContent = "";
    $("status").className = "muted";
  } catch (e) {
    $("status").textContent = "guest unreachable: " + e.message;
    $("status").className = "error";
  }
  setTimeout(loop, 1000);
}
loop();
</script>
</body>
</html>
`;
