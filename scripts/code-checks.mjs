// The code checks `npm test` runs before the tests (CONTRIBUTING.md, "Checks"): types, lint and
// format. One list, so that scripts/test.mjs and the planted-error tests in tools/depcheck run
// exactly the same command lines.
//
//   types   tsc --noEmit over every workspace (src, test and bench; nx caches it per package)
//           and over the root tsconfig.json (build and test configuration files)
//   lint    typescript-eslint's type-checked rules (eslint.config.mjs); --max-warnings 0
//   format  prettier --check (.prettierrc.json)

/** @typedef {{ name: string, cmd: string, args: string[] }} Step */

/** The checks over the whole repository, as `npm test` runs them. */
export const CODE_CHECKS = /** @type {Step[]} */ ([
  { name: 'types', cmd: 'npx', args: ['nx', 'run-many', '-t', 'typecheck', '--output-style=static'] },
  { name: 'types (configuration files)', cmd: 'npx', args: ['tsc', '-p', 'tsconfig.json'] },
  {
    name: 'lint',
    cmd: 'npx',
    args: ['eslint', '--max-warnings', '0', '--cache', '--cache-location', 'node_modules/.cache/eslint/', '.'],
  },
  {
    name: 'format',
    cmd: 'npx',
    args: ['prettier', '--check', '--ignore-path', '.prettierignore', '--log-level', 'warn', '.'],
  },
]);

/**
 * The same checks limited to some files of a package directory `dir` (which has a tsconfig.json),
 * for the tests that plant an error and expect the check to fail.
 * @param {string} dir
 * @param {string[]} files
 * @returns {Step[]}
 */
export function checksFor(dir, files) {
  return [
    { name: 'types', cmd: 'npx', args: ['tsc', '--noEmit', '-p', `${dir}/tsconfig.json`] },
    { name: 'lint', cmd: 'npx', args: ['eslint', '--max-warnings', '0', ...files] },
    { name: 'format', cmd: 'npx', args: ['prettier', '--check', '--ignore-path', '.prettierignore', ...files] },
  ];
}
