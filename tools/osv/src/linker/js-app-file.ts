// Which files are JS-module apps, and the error linking one fails with: what the CLI needs to
// know about JS apps before it loads the linker (js-app.ts, which loads esbuild).

/** File names `osv run` treats as JS apps rather than wasm. */
export const JS_APP_FILE = /\.(mjs|cjs|js|mts|ts)$/;

export class JsAppLinkError extends Error {
  override readonly name = 'JsAppLinkError';
}
