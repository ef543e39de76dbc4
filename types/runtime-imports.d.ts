// roost's package.json "imports" map these to bare-* modules on Bare and to Node's
// builtins elsewhere; the node uses only the part of the API both provide.
// (#platform resolves to node/platform/node.ts for the type checker.)
declare module '#fs' { import fs from 'fs'; export default fs }
declare module '#path' { import path from 'path'; export default path }
