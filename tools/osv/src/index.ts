// @osv-ts/osv: the osv CLI's building blocks, for scripts that compose kernels themselves.
export { composeKernel, kernelEntrySource, cacheDir } from './linker/kernel-bundle.js';
export type { KernelBundle } from './linker/kernel-bundle.js';
export { composeImageKernel, KernelTrustError } from './linker/image-kernel.js';
export type { ImageKernel } from './linker/image-kernel.js';
export {
  identifyKernel,
  encodeKernelIdentity,
  parseKernelIdentity,
  KernelIdentityError,
  KERNEL_IDENTITY_FORMAT,
} from './linker/kernel-identity.js';
export type { KernelIdentity } from './linker/kernel-identity.js';
export { loadCatalog, KERNEL_PACKAGES } from './linker/module-catalog.js';
export type { CatalogEntry } from './linker/module-catalog.js';
export { selectModules, ModuleSelectionError } from './linker/select-modules.js';
export type { Need, SelectedModule, SelectOptions } from './linker/select-modules.js';
export { loadProfile, listProfiles, parseProfile, profileCapabilities, ProfileError } from './linker/profile.js';
export type { Profile } from './linker/profile.js';
export type { Selection } from './linker/select-modules.js';
export { appNeeds } from './linker/app-needs.js';
export type { AppNeeds } from './linker/app-needs.js';
export { readManifest } from './image/manifest-files.js';
export { nodeHostFs } from './image/node-host-fs.js';
export { parseRunOptions, buildCommandLine, quoteAppWord, RUN_USAGE } from './commands/run-options.js';
export { CliError, UsageError } from './cli-error.js';
export { toCliError } from './failure-report.js';
export type { RunOptions } from './commands/run-options.js';
// Image building for programs: the CLI's build and mkfs, without a shell.
export { build, buildArguments } from './api/build.js';
export type { BuildRequest, BuildResult } from './api/build.js';
export { mkfs, mkfsArguments } from './api/mkfs.js';
export type { MkfsRequest, MkfsResult } from './api/mkfs.js';
// Booting an app in a microVM from a program.
export { run, runArguments } from './api/run.js';
export type { RunRequest, RunResult } from './api/run.js';
// node:wasi's options on the inprocess kernel, host directories included.
export { runWasm } from './api/run-wasm.js';
export type { NodeRunWasmOptions } from './api/run-wasm.js';
