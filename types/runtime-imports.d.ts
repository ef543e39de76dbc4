// roost's package.json "imports" map these to bare-* modules on Bare and to Node's
// builtins elsewhere; the node uses only the part of the API both provide.
declare module '#fs' { import fs from 'fs'; export default fs }
declare module '#path' { import path from 'path'; export default path }
declare module '#os' { import os from 'os'; export default os }
declare module '#process' { import process from 'process'; export default process }
