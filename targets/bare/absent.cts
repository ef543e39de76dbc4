// Stands in for a Node.js builtin that a bundled package imports only on a path the
// node never takes on Bare (see BARE_BUILTINS). It is empty, so a feature test such as
// inherits' `typeof util.inherits === 'function'` fails and takes its own fallback.
module.exports = {}
