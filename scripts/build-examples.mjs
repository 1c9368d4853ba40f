#!/usr/bin/env node
// Builds the example apps from source (never committed as binaries): every examples/*/*.c with
// Debian's clang + wasi-libc, every examples/*/*.wat with the wabt npm package. Skips outputs
// that are newer than their source.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import wabtInit from 'wabt';

const root = new URL('..', import.meta.url).pathname;
const examples = join(root, 'examples');
const fresh = (src, out) => existsSync(out) && statSync(out).mtimeMs >= statSync(src).mtimeMs;

export function compileC(src, out, extra = []) {
  execFileSync('clang', ['--target=wasm32-wasi', '--sysroot=/usr', '-O2', '-Wall', '-o', out, src, ...extra], {
    stdio: 'inherit',
  });
}

let built = 0;
const wabt = await wabtInit();
for (const dir of readdirSync(examples)) {
  const d = join(examples, dir);
  if (!statSync(d).isDirectory()) continue;
  for (const f of readdirSync(d)) {
    const src = join(d, f);
    if (f.endsWith('.c')) {
      const out = src.replace(/\.c$/, '.wasm');
      if (fresh(src, out)) continue;
      compileC(src, out);
      built++;
    } else if (f.endsWith('.wat')) {
      const out = src.replace(/\.wat$/, '.wasm');
      if (fresh(src, out)) continue;
      const mod = wabt.parseWat(f, readFileSync(src, 'utf8'));
      writeFileSync(out, Buffer.from(mod.toBinary({}).buffer));
      mod.destroy();
      built++;
    }
  }
}
console.log(`build-examples: ${built} built`);
