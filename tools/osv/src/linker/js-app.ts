// Links a JS-module app for the guest (docs/architecture.md §1: "a JS module written against
// @osv-ts/libc"): esbuild bundles the module and its relative imports into one CommonJS body,
// platform neutral, and refuses every other import — node: builtins, npm packages, dynamic
// import() — so the app can reach the host only through the guest's devices, as a wasm app.
// The app receives libc as main's third argument instead of importing it: the kernel's one
// copy of libc is the one that owns the fd table (and its KernelError class), and the app's
// bundle stays independent of the kernel bundle, which is cached by content.
import { build, type Plugin } from 'esbuild';
import { JS_APP_HEADER } from '@osv-ts/kernel/cmdline';
import { JsAppLinkError } from './js-app-file.js';

export { JS_APP_FILE, JsAppLinkError } from './js-app-file.js';

const guestOnly: Plugin = {
  name: 'osv-guest-only',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      if (args.kind === 'entry-point') return undefined;
      if (args.kind === 'dynamic-import') {
        return {
          errors: [
            {
              text: `import('${args.path}'): dynamic import is not available in the guest (the app must be one synchronous bundle)`,
            },
          ],
        };
      }
      if (args.path.startsWith('./') || args.path.startsWith('../')) return undefined;
      return {
        errors: [
          {
            text:
              `'${args.path}': a JS app runs inside the guest and may import only its own relative modules; ` +
              "host modules (node:*) and packages are not there. The libc API is main's third argument: export default function main(argv, env, libc)",
          },
        ],
      };
    });
  },
};

/** The guest file for the app at `path`: JS_APP_HEADER, then the bundled CommonJS body. */
export async function linkJsApp(path: string): Promise<Uint8Array> {
  let code: string;
  try {
    const result = await build({
      entryPoints: [path],
      bundle: true,
      format: 'cjs',
      platform: 'neutral',
      mainFields: [],
      target: 'es2022',
      write: false,
      logLevel: 'silent',
      plugins: [guestOnly],
    });
    code = result.outputFiles[0]!.text;
  } catch (e) {
    const errors = (
      e as { errors?: { text: string; location?: { file: string; line: number; column: number } | null }[] }
    ).errors;
    if (!errors) throw e;
    throw new JsAppLinkError(
      errors
        .map((m) => (m.location ? `${m.location.file}:${m.location.line}:${m.location.column}: ${m.text}` : m.text))
        .join('\n'),
    );
  }
  return new TextEncoder().encode(JS_APP_HEADER + code);
}
