// Shared timing helper: runs fn `runs` times after a warm-up and returns the median ns per op.
export function measure(fn, ops, runs = 7) {
  fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / ops);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

export async function measureAsync(fn, ops, runs = 7) {
  await fn();
  const samples = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    await fn();
    samples.push(Number(process.hrtime.bigint() - t0) / ops);
  }
  samples.sort((a, b) => a - b);
  return samples[samples.length >> 1];
}

export function row(name, oursNs, peerName, peerNs) {
  const ratio = oursNs / peerNs;
  console.log(
    `${name.padEnd(34)} ours ${fmt(oursNs)}   ${peerName.padEnd(26)} ${fmt(peerNs)}   ratio ${ratio.toFixed(2)}x`,
  );
  return { name, oursNs, peerName, peerNs, ratio };
}

function fmt(ns) {
  return ns < 1000 ? `${ns.toFixed(1).padStart(7)} ns/op` : `${(ns / 1000).toFixed(2).padStart(7)} µs/op`;
}

/** Medians of `a` and `b` measured alternately (ABAB…), so machine noise hits both alike. */
export function compare(a, b, ops, runs = 11) {
  a();
  b();
  const sa = [];
  const sb = [];
  for (let i = 0; i < runs; i++) {
    for (const [fn, out] of i % 2 === 0
      ? [
          [a, sa],
          [b, sb],
        ]
      : [
          [b, sb],
          [a, sa],
        ]) {
      const t0 = process.hrtime.bigint();
      fn();
      out.push(Number(process.hrtime.bigint() - t0) / ops);
    }
  }
  sa.sort((x, y) => x - y);
  sb.sort((x, y) => x - y);
  return [sa[sa.length >> 1], sb[sb.length >> 1]];
}

/** compare() for functions that may return a Promise. */
export async function compareAsync(a, b, ops, runs = 11) {
  await a();
  await b();
  const sa = [];
  const sb = [];
  for (let i = 0; i < runs; i++) {
    for (const [fn, out] of i % 2 === 0
      ? [
          [a, sa],
          [b, sb],
        ]
      : [
          [b, sb],
          [a, sa],
        ]) {
      const t0 = process.hrtime.bigint();
      await fn();
      out.push(Number(process.hrtime.bigint() - t0) / ops);
    }
  }
  sa.sort((x, y) => x - y);
  sb.sort((x, y) => x - y);
  return [sa[sa.length >> 1], sb[sb.length >> 1]];
}
