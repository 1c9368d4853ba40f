#!/usr/bin/env node
// Writes the boilerplate of one workspace package (package.json, tsup/vitest/tsconfig, README stub).
// Usage: node scripts/new-package.mjs <dir> <@osv-ts/name> "<description>" [dep ...]
import { mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { join, relative } from 'node:path';

const [dir, name, description, ...deps] = process.argv.slice(2);
if (!dir || !name || !description) {
  console.error('usage: new-package.mjs <dir> <name> <description> [deps...]');
  process.exit(2);
}
const root = relative(dir, '.') || '.';
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
      license: 'BSD-3-Clause',
      type: 'module',
      sideEffects: false,
      main: './dist/index.js',
      types: './dist/index.d.ts',
      exports: { '.': { types: './dist/index.d.ts', import: './dist/index.js' } },
      files: ['dist', 'README.md', 'CHANGELOG.md'],
      scripts: { build: 'tsup', test: 'vitest run', typecheck: 'tsc --noEmit -p tsconfig.json' },
      dependencies: Object.fromEntries(deps.map((d) => [d, '0.1.0'])),
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
write('CHANGELOG.md', `# Changelog\n\n## 0.1.0\n\n- First version.\n`);
write('src/index.ts', `// ${name}: public contract.\nexport {};\n`);
