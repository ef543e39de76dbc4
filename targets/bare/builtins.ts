// Node.js builtins that dependencies import, mapped to the Bare module that provides
// the same API (the subset of bare-node-runtime/imports.json the node needs). Keeping
// the list short keeps the device bundle lean; a new import fails the build loudly.
export const BARE_BUILTINS: Record<string, string> = {
  assert: 'bare-assert',
  events: 'bare-events',
  fs: 'bare-fs',
  os: 'bare-os',
  path: 'bare-path',
  process: 'bare-process'
}
