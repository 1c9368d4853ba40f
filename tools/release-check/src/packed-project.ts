// A project outside the repository with every public package installed from the tarball
// `npm pack` makes of it — what a user gets from the registry. The registry supplies only the
// packages' third-party dependencies (from npm's cache when they are there).
import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { publicPackages, readPackageJson, REPO_ROOT } from './workspace.js';

export interface PackedProject {
  /** The consumer project: package.json, node_modules with the installed tarballs. */
  readonly dir: string;
  /** Package name → its tarball. */
  readonly tarballs: Record<string, string>;
}

interface PackResult {
  name: string;
  filename: string;
}

function npm(args: string[], cwd: string): string {
  try {
    return execFileSync('npm', args, {
      cwd,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, npm_config_update_notifier: 'false', npm_config_fund: 'false' },
      maxBuffer: 64 << 20,
    });
  } catch (e) {
    const err = e as Error & { stdout?: string; stderr?: string };
    throw new Error(`npm ${args.join(' ')} failed in ${cwd}:\n${err.stdout ?? ''}${err.stderr ?? ''}`);
  }
}

/**
 * Packs every public package (the build is already there: `--ignore-scripts` skips prepack's
 * rebuild) into `root/tarballs` and installs them all into the project `root/consumer`.
 */
export function packAndInstall(root: string): PackedProject {
  const tarballDir = join(root, 'tarballs');
  const dir = join(root, 'consumer');
  mkdirSync(tarballDir, { recursive: true });
  mkdirSync(dir, { recursive: true });
  const packages = publicPackages();
  const packed = JSON.parse(
    npm(
      [
        'pack',
        '--json',
        '--ignore-scripts',
        '--pack-destination',
        tarballDir,
        ...packages.map((p) => `--workspace=${p.dir}`),
      ],
      REPO_ROOT,
    ),
  ) as PackResult[];
  const tarballs = Object.fromEntries(packed.map((p) => [p.name, join(tarballDir, p.filename)]));
  const rootDev = (readPackageJson('.') as { devDependencies?: Record<string, string> }).devDependencies ?? {};
  writeFileSync(
    join(dir, 'package.json'),
    JSON.stringify(
      {
        name: 'osv-ts-consumer',
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies: {
          ...Object.fromEntries(Object.entries(tarballs).map(([name, file]) => [name, `file:${file}`])),
          // What a TypeScript user of the host-side packages (vmm, osv) installs beside them.
          '@types/node': rootDev['@types/node'] ?? '^20',
        },
      },
      null,
      2,
    ),
  );
  npm(['install', '--prefer-offline', '--no-audit', '--ignore-scripts', '--loglevel=error'], dir);
  return { dir, tarballs };
}
