// A real C++ application from npm, unmodified: @yowasp/yosys's plain wasi_snapshot_preview1
// module synthesises a Verilog design in osv-ts with output identical to node:wasi's.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { osv } from './osv-cli.js';

const require = createRequire(import.meta.url);
const YOSYS_GEN = join(dirname(require.resolve('@yowasp/yosys')), '..', 'gen');
const YOSYS_WASM = join(YOSYS_GEN, 'yosys.core.wasm');
const NODE_CHILD = fileURLToPath(new URL('./node-wasi-child.mjs', import.meta.url));

const DESIGN = `module counter(input clk, input rst, input en, output reg [7:0] count);
  always @(posedge clk)
    if (rst) count <= 0;
    else if (en) count <= count + 1;
endmodule
`;

type Tree = { [name: string]: string | Uint8Array | Tree };

/** Writes the share/ tree that resources-yosys.js embeds, plus the design, under a new root. */
async function prepareRoot(): Promise<string> {
  const { filesystem } = (await import(join(YOSYS_GEN, 'resources-yosys.js'))) as { filesystem: Tree };
  const root = mkdtempSync(join(tmpdir(), 'yosys-root-'));
  const write = (dir: string, tree: Tree): void => {
    mkdirSync(dir, { recursive: true });
    for (const [name, v] of Object.entries(tree)) {
      if (typeof v === 'string' || v instanceof Uint8Array) writeFileSync(join(dir, name), v);
      else write(join(dir, name), v);
    }
  };
  write(root, filesystem);
  writeFileSync(join(root, 'design.v'), DESIGN);
  writeFileSync(join(root, 'usr.manifest'), '/share/**: share/**\n/design.v: design.v\n');
  return root;
}

describe('yosys (@yowasp/yosys) on osv-ts', () => {
  it('runs synth -noabc and stat with output identical to node:wasi', async () => {
    const root = await prepareRoot();
    const args = ['-Q', '-T', '-p', 'read_verilog /design.v; synth -noabc; stat'];
    const peer = spawnSync(process.execPath, ['--no-warnings', NODE_CHILD, YOSYS_WASM, root, ...args], {
      timeout: 120_000,
    });
    expect(peer.status).toBe(0);
    const ours = osv(['run', '-m', '512M', '--manifest', join(root, 'usr.manifest'), YOSYS_WASM, ...args]);
    expect(ours.stderr).toBe('');
    expect(ours.status).toBe(0);
    const out = ours.stdout.toString();
    expect(out).toMatch(/Number of cells:\s+24/);
    expect(out).toBe(peer.stdout.toString());
  }, 180_000);
});
