// A TypeScript program that imports every export of every package compiles against the
// installed tarballs with strict checking of the packages' own declarations too
// (skipLibCheck: false), under both module resolutions users configure: nodenext and bundler.
import { execFileSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { exportSpecifiers, publicPackages, REPO_ROOT } from '../src/workspace.js';

const project = inject('project');
const specifiers = publicPackages().flatMap((p) => exportSpecifiers(p.json));
const TSC = join(REPO_ROOT, 'node_modules', 'typescript', 'bin', 'tsc');

writeFileSync(
  join(project.dir, 'consumer.ts'),
  `${specifiers.map((s, i) => `import * as m${i} from '${s}';`).join('\n')}
import { IpAddress } from '@osv-ts/netstack';
import { parseIpv4 } from '@osv-ts/netstack/wire';
import { KernelError, Errno } from '@osv-ts/kernel-api';

export const modules: readonly object[] = [${specifiers.map((_, i) => `m${i}`).join(', ')}];
export const loopback: string = IpAddress.parse('127.0.0.1').toString();
export const parse: (bytes: Uint8Array) => { ttl: number } = parseIpv4;
export const error: number = new KernelError(Errno.EINVAL, 'x').errno;
`,
);

function compile(resolution: 'nodenext' | 'bundler'): string {
  const module = resolution === 'nodenext' ? 'nodenext' : 'esnext';
  const config = join(project.dir, `tsconfig.${resolution}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        strict: true,
        skipLibCheck: false,
        noEmit: true,
        target: 'es2022',
        module,
        moduleResolution: resolution,
        types: ['node'],
      },
      files: ['consumer.ts'],
    }),
  );
  try {
    execFileSync(process.execPath, [TSC, '-p', config], { cwd: project.dir, encoding: 'utf8', stdio: 'pipe' });
    return '';
  } catch (e) {
    const err = e as { stdout?: string; stderr?: string };
    return `${err.stdout ?? ''}${err.stderr ?? ''}`;
  }
}

describe('a TypeScript consumer of the installed packages', () => {
  it('compiles with moduleResolution nodenext', () => {
    expect(compile('nodenext')).toBe('');
  });

  it('compiles with moduleResolution bundler', () => {
    expect(compile('bundler')).toBe('');
  });
});
