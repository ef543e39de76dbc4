// Which prebuild of an addon package the runtime loads, so that the artifact carries
// that one file and no other, and which addons the included Bare runtime has linked in
// and so loads from none.
import fs from 'node:fs'
import path from 'node:path'
import type { Runtime } from './bundle.ts'

// The extensions each runtime's addon loader tries, in its order: Bare's module system
// (bare-module in the Bare 1.31 binary: `extensions = ['.bare', '.node']`) and
// require-addon 1.3.0 on Node.js (`extensions = ['.node']`).
const EXTENSIONS: Record<Runtime, string[]> = { bare: ['.bare', '.node'], node: ['.node'] }

// The prebuild the runtime picks in prebuilds/<host>/, by the rule of bare-addon-resolve
// 1.10.1's directory(), which both loaders use: first `<name>@<version><ext>`, then
// `<name><ext>`, each with every extension in order; <name> is the package name with
// "/" as "__" and no leading "@". null when it finds none.
export function loadedPrebuild (pkg: { name: string, version: string, dir: string }, host: string, runtime: Runtime): string | null {
  const dir = path.join(pkg.dir, 'prebuilds', host)
  const name = pkg.name.replace(/\//g, '__').replace(/^@/, '')
  for (const stem of [`${name}@${pkg.version}`, name]) {
    for (const ext of EXTENSIONS[runtime]) {
      if (fs.existsSync(path.join(dir, stem + ext))) return stem + ext
    }
  }
  return null
}

// The addons each Bare runtime has linked in, as name@version. For an addon package of
// exactly that name and version, Bare's resolution returns builtin:name@version before it
// looks in prebuilds/ (bare-addon-resolve's directory() → builtinTarget), so a prebuild
// of it is never loaded. Only an artifact that carries this runtime may leave such a
// prebuild out: a device that installs Bare itself may have another version.
// test/e2e/artifact-loads.test.ts checks this list against the binary.
export const BARE_STATIC_ADDONS: Record<string, readonly string[]> = {
  '1.31.0': [
    'bare-buffer@3.6.2', 'bare-crypto@1.15.3', 'bare-dns@2.1.4', 'bare-hrtime@2.1.1', 'bare-inspect@3.1.4',
    'bare-inspector@6.1.0', 'bare-logger@2.0.3', 'bare-module-lexer@1.6.3', 'bare-module@6.4.0', 'bare-os@3.9.3',
    'bare-path@3.1.1', 'bare-pipe@4.2.3', 'bare-repl@6.1.1', 'bare-signals@5.0.0', 'bare-structured-clone@1.6.0',
    'bare-system-logger@1.0.3', 'bare-tcp@2.5.3', 'bare-timers@3.2.1', 'bare-tls@3.1.8', 'bare-tty@5.1.2',
    'bare-type-stripper@0.1.4', 'bare-type@1.1.0', 'bare-url@2.4.7'
  ]
}
