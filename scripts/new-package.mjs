#!/usr/bin/env node
// Writes the boilerplate of one workspace package (package.json with the publishing fields,
// tsup/vitest/tsconfig, README and CHANGELOG stubs, LICENSE); CONTRIBUTING.md, "Add a package".
// Usage: node scripts/new-package.mjs <dir> <@osv-ts/name> "<description>" [dep ...]
import { copyFileSync, mkdirSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, name, description, ...deps] = process.argv.slice(2);
if (!dir || !name || !description) {
  console.error('usage: new-package.mjs <dir> <name> <description> [deps...]');
  process.exit(2);
}
const root = relative(dir, '.') || '.';
const repository = JSON.parse(readFileSync('package.json', 'utf8')).repository.url.replace(/^git\+|\.git$/g, '');
mkdirSync(join(dir, 'src'), { recursive: true });
const write = (file, text) => {
  const path = join(dir, file);
  if (!existsSync(path)) writeFileSync(path, text);
};
write(
  'package.json',
  JSON.stringify(
    {
      name,
      version: '0.1.0',
      description,
      keywords: ['osv', 'unikernel'],
      license: 'BSD-3-Clause',
      homepage: `${repository}/tree/main/${dir}#readme`,
      bugs: { url: `${repository}/issues` },
      repository: { type: 'git', url: `git+${repository}.git`, directory: dir },
      type: 'module',
      sideEffects: false,
      engines: { node: '>=20.12' },
      main: './dist/index.js',
      types: './dist/index.d.ts',
      exports: {
        '.': { types: './dist/index.d.ts', import: './dist/index.js', default: './dist/index.js' },
        './package.json': './package.json',
      },
      files: ['dist', 'README.md', 'CHANGELOG.md', 'LICENSE'],
      publishConfig: { access: 'public' },
      scripts: {
        build: 'tsup',
        test: 'vitest run',
        typecheck: 'tsc --noEmit -p tsconfig.json',
        prepack: `nx run ${name}:build --output-style=static`,
      },
      dependencies: Object.fromEntries(deps.map((d) => [d, '0.1.0'])),
      nx: { targets: { 'nx-release-publish': {} } },
    },
    null,
    2,
  ) + '\n',
);
write(
  'tsconfig.json',
  JSON.stringify(
    {
      extends: `${root}/tsconfig.base.json`,
      compilerOptions: { outDir: 'dist', rootDir: '.' },
      include: ['src', 'test', 'bench'],
    },
    null,
    2,
  ) + '\n',
);
write(
  'tsup.config.ts',
  `import { defineConfig } from 'tsup';
import { packageConfig } from '${root}/tsup.base.js';

export default defineConfig(packageConfig({ index: 'src/index.ts' }));
`,
);
write(
  'vitest.config.ts',
  `import { baseTestConfig } from '${root}/vitest.base.js';

export default baseTestConfig;
`,
);
write('README.md', `# ${name}\n\n${description}\n`);
write('CHANGELOG.md', `## 0.1.0\n\nFirst release (not yet published).\n\n- ${description}\n`);
if (!existsSync(join(dir, 'LICENSE'))) copyFileSync('LICENSE', join(dir, 'LICENSE'));
write('src/index.ts', `// ${name}: public contract.\nexport {};\n`);
