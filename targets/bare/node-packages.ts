// How packages written for Node.js load into the Bare bundle, beyond the builtin table:
// whole modules replaced by a stand-in, and a `process` for the packages that use that
// global. targets/bundle.ts registers these hooks for the Bare runtime.
import fs from 'node:fs'
import path from 'node:path'
import type { PluginBuild } from 'esbuild'
import { BuildError } from '../errors.ts'
import { BARE_PATCHED_MODULES, BARE_PROCESS_PACKAGES, BARE_PROCESS_SHIM, BARE_REPLACED_MODULES } from './builtins.ts'

export function loadNodePackagesForBare (build: PluginBuild, repoRoot: string): void {
  // Modules the node never runs and Bare cannot load (mqtt.js's TLS and WebSocket
  // transports) load as roost's stand-in, so their imports are never followed. Registered
  // first: the `process` hook below matches mqtt.js's files too, and the first hook wins.
  const replaced = Object.keys(BARE_REPLACED_MODULES)
  build.onLoad({ filter: new RegExp(`/node_modules/(${replaced.map(escapeRegExp).join('|')})$`) }, (args) => {
    const file = replaced.find((m) => args.path.endsWith(`/node_modules/${m}`))
    if (file === undefined) return undefined
    return { contents: `module.exports = require(${JSON.stringify(path.join(repoRoot, BARE_REPLACED_MODULES[file]))})`, loader: 'js' }
  })

  const patched = Object.keys(BARE_PATCHED_MODULES)
  build.onLoad({ filter: new RegExp(`/node_modules/(${patched.map(escapeRegExp).join('|')})$`) }, async (args) => {
    const file = patched.find((m) => args.path.endsWith(`/node_modules/${m}`))
    if (file === undefined) return undefined
    const source = await fs.promises.readFile(args.path, 'utf8')
    return { contents: applyPatches(file, source, BARE_PATCHED_MODULES[file]), loader: 'js', resolveDir: path.dirname(args.path) }
  })

  // Module by module, not with esbuild's `inject`, which would give every module of the
  // bundle a `process`: Holepunch modules test `typeof process` to tell Node.js from Bare
  // (which-runtime then reads `global.process.versions` and throws).
  const packages = BARE_PROCESS_PACKAGES.map(escapeRegExp).join('|')
  build.onLoad({ filter: new RegExp(`/node_modules/(${packages})/.*\\.c?js$`) }, async (args) => {
    const source = await fs.promises.readFile(args.path, 'utf8')
    const contents = withProcess(source, path.join(repoRoot, BARE_PROCESS_SHIM))
    return contents === null ? undefined : { contents, loader: 'js', resolveDir: path.dirname(args.path) }
  })
}

// The module's source with `var process = require(shim)` on its first line, after the
// shebang, comments and "use strict" that must open it; null for a module that declares
// its own `process` (readable-stream's internals), which a `var` would clash with.
export function withProcess (source: string, shim: string): string | null {
  if (/\b(const|let|class)\s+process\b/.test(source)) return null
  const at = /^(#![^\n]*)?(\s+|\/\/[^\n]*|\/\*[\s\S]*?\*\/)*((['"])use strict\4;?)?/.exec(source)?.[0].length ?? 0
  // The leading `;` ends a "use strict" written without one.
  return source.slice(0, at) + `;var process = require(${JSON.stringify(shim)});` + source.slice(at)
}

export function applyPatches (file: string, source: string, patches: Array<[string, string]>): string {
  let out = source
  for (const [from, to] of patches) {
    const count = out.split(from).length - 1
    if (count !== 1) {
      throw BuildError.PATCH_MISMATCH(file, from, count)
    }
    out = out.replace(from, to)
  }
  return out
}

function escapeRegExp (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
