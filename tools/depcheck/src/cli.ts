#!/usr/bin/env node
// osv-depcheck [root]: prints rule violations and exits 1 when there are any.
import { resolve } from 'node:path';
import { checkWorkspace, formatViolations } from './check.js';

const root = resolve(process.argv[2] ?? '.');
const violations = checkWorkspace(root);
if (violations.length > 0) {
  process.stderr.write(`${formatViolations(violations)}\n${violations.length} package-rule violation(s)\n`);
  process.exit(1);
}
process.stdout.write('depcheck: all package rules hold\n');
