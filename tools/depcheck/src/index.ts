// @osv-ts/depcheck: the package-rule checker.
export { checkWorkspace, formatViolations, workspacePackages } from './check.js';
export type { Violation } from './check.js';
export { GUEST_PACKAGES, LAYER_RANK, NODE_GLOBALS, TEST_ONLY_PACKAGES } from './layers.js';
