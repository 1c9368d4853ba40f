// Once per run: pack every public package and install the tarballs into a fresh project outside
// the repository; the test files find it through inject('project').
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { packAndInstall, type PackedProject } from '../src/packed-project.js';

declare module 'vitest' {
  export interface ProvidedContext {
    project: PackedProject;
  }
}

export default function setup(project: TestProject): () => void {
  const root = mkdtempSync(join(tmpdir(), 'osv-ts-release-check-'));
  const started = Date.now();
  project.provide('project', packAndInstall(root));
  process.stderr.write(`release-check: packed and installed in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
  return () => rmSync(root, { recursive: true, force: true });
}
