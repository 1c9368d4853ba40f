// The environment README commands and examples run in: this process's, without colour. The
// READMEs show what a terminal prints as text; nx runs the tests with FORCE_COLOR set (to keep
// its tasks' colours in its own output), and Node's console.log would then colour the numbers
// and strings it inspects (`exit status \x1b[33m0\x1b[39m`). FORCE_COLOR wins over NO_COLOR in
// Node, so it is removed rather than countered.
export function plainOutputEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, ...extra, NO_COLOR: '1' };
  delete env['FORCE_COLOR'];
  return env;
}
