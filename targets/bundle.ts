// esbuild compiles node/ into one CommonJS module for a runtime. Packages with native
// addons stay out of that module: each is bundled on its own into
// node_modules/<name>/ next to it, with only the host's prebuild, because
// `require.addon('.', __filename)` finds the prebuild from the package folder the
// code runs in. Their other JS dependencies are bundled into them.
import fs from 'node:fs'
import path from 'node:path'
import { builtinModules } from 'node:module'
import * as esbuild from 'esbuild'
import { BARE_BUILTINS } from './bare/builtins.ts'
import { loadNodePackagesForBare } from './bare/node-packages.ts'
import { BuildError } from './errors.ts'
import { loadedPrebuild } from './prebuilds.ts'

export type Runtime = 'bare' | 'node'

export const REPO_ROOT = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..')
export const NODE_ENTRY = path.join(REPO_ROOT, 'node', 'main.ts')
export const BUNDLE_FILE = 'roost-node.cjs'
// The packages more than one bundle takes in (hypercore, corestore, protomux …), once,
// beside BUNDLE_FILE: each bundle requires them from here.
export const SHARED_FILE = 'roost-shared.cjs'

export interface BundleOptions {
  runtime: Runtime
  host: string
  outDir: string
  version: string
  entry?: string
  // name@version of the addons the runtime shipped in the artifact has linked in
  // (prebuilds.ts): their packages get no prebuild.
  staticAddons?: readonly string[]
  // Addon packages the artifact goes without: bundled code that requires them finds
  // nothing (targets/bare/tls.cts says what to do then).
  leaveOut?: readonly string[]
}

export interface AddonFile {
  name: string
  version: string
  // Path of the prebuild inside the artifact, '/'-separated.
  file: string
}

export interface BundleResult {
  bundleBytes: number
  addons: AddonFile[]
  // The addons bundled whose native code the runtime has linked in, as name@version.
  staticAddons: string[]
}

interface AddonPackage { name: string, dir: string, version: string, subpaths: Set<string>, resolveDir: string }

// Sorting by code unit, not locale, keeps builds identical on machines with any LANG.
export function byCodeUnit (a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

export const ROLES_DIR = path.join(REPO_ROOT, 'node', 'roles')

export async function bundleNode (opts: BundleOptions): Promise<BundleResult> {
  const entry = opts.entry ?? NODE_ENTRY
  const addons = new Map<string, AddonPackage>()
  // Each role is a bundle of its own, required by the node only when a config turns
  // the role on: an idle node does not even parse mqtt.js or hypercore.
  const bundles = [
    { entry, outfile: path.join(opts.outDir, BUNDLE_FILE) },
    ...fs.readdirSync(ROLES_DIR).filter((f) => f.endsWith('.ts')).sort()
      .map((role) => ({ entry: path.join(ROLES_DIR, role), outfile: path.join(opts.outDir, 'roles', role.replace(/\.ts$/, '.cjs')) }))
  ]
  // Three roles each carrying hypercore and its stack was a megabyte on flash and a copy
  // of each in memory per role running. A first pass finds the packages two or more
  // bundles take in; the second bundles each with those left to SHARED_FILE.
  const taken = new Map<string, number>()
  for (const b of bundles) {
    const meta = await runEsbuild(opts, { entryPoints: [b.entry] }, b.outfile, null, new Map(), null, false)
    for (const dir of packagesIn(meta)) taken.set(dir, (taken.get(dir) ?? 0) + 1)
  }
  const shared: Shared = { packages: new Set([...taken].filter(([, n]) => n > 1).map(([dir]) => dir)), modules: new Set() }
  for (const b of bundles) await runEsbuild(opts, { entryPoints: [b.entry] }, b.outfile, null, addons, shared)
  if (shared.modules.size > 0) await bundleShared(opts, shared.modules, addons)

  const done = new Set<string>()
  const files: AddonFile[] = []
  const fromRuntime: string[] = []
  // Addon packages can import other addon packages (sodium-universal → sodium-native);
  // keep bundling until no new one appears, in a sorted order so builds repeat exactly.
  for (;;) {
    const next = [...addons.values()].sort((a, b) => byCodeUnit(a.name, b.name)).find((a) => !done.has(a.name))
    if (!next) break
    done.add(next.name)
    if (opts.leaveOut?.includes(next.name)) continue
    const file = await packAddon(opts, next, addons)
    if (file) files.push(file)
    else fromRuntime.push(`${next.name}@${next.version}`)
  }
  return {
    bundleBytes: fs.statSync(path.join(opts.outDir, BUNDLE_FILE)).size,
    addons: files.sort((a, b) => byCodeUnit(a.file, b.file)),
    staticAddons: fromRuntime.sort(byCodeUnit)
  }
}

// What the bundles leave to SHARED_FILE: package folders (relative to REPO_ROOT, as
// esbuild's metafile names inputs), and the module files of them the bundles require.
interface Shared { packages: Set<string>, modules: Set<string> }

// The package folder a bundled file is in ('node_modules/@scope/name'), or null for
// roost's own files.
function packageDirOf (file: string): string | null {
  const at = file.lastIndexOf('node_modules/')
  if (at < 0) return null
  const parts = file.slice(at + 'node_modules/'.length).split('/')
  return file.slice(0, at) + 'node_modules/' + (parts[0].startsWith('@') ? parts.slice(0, 2).join('/') : parts[0])
}

function packagesIn (meta: esbuild.Metafile): Set<string> {
  const dirs = new Set<string>()
  for (const input of Object.keys(meta.inputs)) {
    const dir = packageDirOf(input)
    if (dir !== null) dirs.add(dir)
  }
  return dirs
}

// One module for the shared packages: a function from a module file to its exports. Each
// is evaluated on first use only (esbuild wraps CommonJS modules lazily), so a node with
// no roles runs none of hypercore's code.
async function bundleShared (opts: BundleOptions, modules: Set<string>, addons: Map<string, AddonPackage>): Promise<void> {
  const keys = [...modules].sort(byCodeUnit)
  const contents = [
    'const load = {',
    ...keys.map((key) => `  ${JSON.stringify(key)}: () => require(${JSON.stringify('./' + key)}),`),
    '}',
    'const loaded = new Map()',
    'module.exports = (key) => {',
    '  if (!loaded.has(key)) loaded.set(key, load[key]())',
    '  return loaded.get(key)',
    '}'
  ].join('\n')
  await runEsbuild(opts, { stdin: { contents, resolveDir: REPO_ROOT, loader: 'js', sourcefile: SHARED_FILE } }, path.join(opts.outDir, SHARED_FILE), null, addons, null)
}

// Bundles an addon package's JavaScript and copies the one prebuild the runtime loads
// from it; null when the runtime has the addon linked in.
async function packAddon (opts: BundleOptions, pkg: AddonPackage, addons: Map<string, AddonPackage>): Promise<AddonFile | null> {
  const pkgOut = path.join(opts.outDir, 'node_modules', pkg.name)
  // Subpaths can be added while bundling other addons; bundle until stable.
  const bundled = new Set<string>()
  const exportsMap: Record<string, string> = {}
  for (;;) {
    const subpath = [...pkg.subpaths].sort().find((s) => !bundled.has(s))
    if (subpath === undefined) break
    bundled.add(subpath)
    const outName = subpath === '' ? 'index.js' : subpath.slice(1).replace(/\//g, '-') + '.js'
    await runEsbuild(opts, {
      stdin: { contents: `module.exports = require(${JSON.stringify(pkg.name + subpath)})`, resolveDir: pkg.resolveDir, loader: 'js', sourcefile: `${pkg.name}${subpath}` }
    }, path.join(pkgOut, outName), pkg.name, addons, null)
    exportsMap[subpath === '' ? '.' : '.' + subpath] = './' + outName
  }
  const sortedExports = Object.fromEntries(Object.entries(exportsMap).sort(([a], [b]) => byCodeUnit(a, b)))
  fs.writeFileSync(path.join(pkgOut, 'package.json'),
    JSON.stringify({ name: pkg.name, version: pkg.version, addon: true, exports: sortedExports }, null, 2) + '\n')

  if (opts.runtime === 'bare' && opts.staticAddons?.includes(`${pkg.name}@${pkg.version}`)) return null
  const prebuild = loadedPrebuild(pkg, opts.host, opts.runtime)
  if (prebuild === null) throw BuildError.MISSING_PREBUILD(pkg.name, opts.host, opts.runtime)
  const dest = path.join(pkgOut, 'prebuilds', opts.host, prebuild)
  fs.mkdirSync(path.dirname(dest), { recursive: true })
  fs.copyFileSync(path.join(pkg.dir, 'prebuilds', opts.host, prebuild), dest)
  return { name: pkg.name, version: pkg.version, file: path.relative(opts.outDir, dest).split(path.sep).join('/') }
}

function packageRoot (spec: string, resolveDir: string): { name: string, dir: string } | null {
  const parts = spec.split('/')
  const name = spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]
  for (let dir = resolveDir; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', name)
    if (fs.existsSync(path.join(candidate, 'package.json'))) return { name, dir: fs.realpathSync(candidate) }
    if (path.dirname(dir) === dir) return null
  }
}

function packageImport (spec: string, importer: string, runtime: Runtime): string | null {
  for (let dir = path.dirname(importer); ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json')
    if (fs.existsSync(file)) {
      const imports = (JSON.parse(fs.readFileSync(file, 'utf8')) as { imports?: Record<string, unknown> }).imports
      const target = imports?.[spec]
      if (typeof target === 'string') return target
      if (target && typeof target === 'object') {
        const conditional = target as Record<string, unknown>
        const chosen = conditional[runtime] ?? conditional.default
        return typeof chosen === 'string' ? chosen : null
      }
      return null
    }
    if (path.dirname(dir) === dir) return null
  }
}

function isAddonPackage (dir: string): boolean {
  if (fs.existsSync(path.join(dir, 'prebuilds'))) return true
  const pkg = JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { addon?: boolean }
  return pkg.addon === true
}

// `shared`: the packages to take from SHARED_FILE, and where to note the modules taken;
// null bundles everything in. `write` false only looks at what would be bundled.
async function runEsbuild (opts: BundleOptions, input: Pick<esbuild.BuildOptions, 'entryPoints' | 'stdin'>, outfile: string,
  self: string | null, addons: Map<string, AddonPackage>, shared: Shared | null, write = true): Promise<esbuild.Metafile> {
  const toShared = path.relative(path.dirname(outfile), path.join(opts.outDir, SHARED_FILE)).split(path.sep).join('/')
  const sharedSpec = toShared.startsWith('.') ? toShared : './' + toShared
  const plugin: esbuild.Plugin = {
    name: 'roost-runtime',
    setup (build) {
      if (shared !== null && shared.packages.size > 0) {
        build.onResolve({ filter: /roost-shared\.cjs$/ }, (args) => args.pluginData === 'roost-shared' ? { path: args.path, external: true } : undefined)
        // A file of a shared package is not bundled here: it stands for the same file in
        // SHARED_FILE, and what it requires is never looked at.
        build.onLoad({ filter: /[\\/]node_modules[\\/]/ }, (args) => {
          const key = path.relative(REPO_ROOT, args.path).split(path.sep).join('/')
          const dir = packageDirOf(key)
          if (dir === null || !shared.packages.has(dir)) return undefined
          shared.modules.add(key)
          return {
            contents: `module.exports = require(${JSON.stringify(sharedSpec)})(${JSON.stringify(key)})`,
            loader: 'js',
            resolveDir: path.dirname(args.path),
            pluginData: 'roost-shared'
          }
        })
      }
      // node/'s `import('./roles/x.ts')` loads the separately built roles/x.cjs.
      build.onResolve({ filter: /^\.\/roles\/[a-z-]+\.ts$/ }, (args) => {
        if (path.dirname(args.importer) !== path.join(REPO_ROOT, 'node')) return undefined
        return { path: args.path.replace(/\.ts$/, '.cjs'), external: true }
      })
      build.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.pluginData === 'roost-alias') return undefined
        // `require('process/')` names the npm copy of a builtin (readable-stream does this for
        // process/ and string_decoder/); the builtin table decides for both spellings.
        let spec = args.path.replace(/^node:/, '').replace(/^([^@/][^/]*)\/$/, '$1')
        if (spec.startsWith('#')) {
          // A package "imports" entry that names another package (roost's own #fs → bare-fs)
          // must go through the same addon and builtin handling as a direct import.
          const mapped = packageImport(spec, args.importer, opts.runtime)
          if (mapped === null || mapped.startsWith('.')) return undefined
          spec = mapped.replace(/^node:/, '')
        }
        let resolveDir = args.resolveDir
        const base = spec.split('/')[0]
        if (builtinModules.includes(base)) {
          if (opts.runtime === 'node') return { path: spec, external: true }
          const target = BARE_BUILTINS[base]
          if (!target) throw BuildError.UNSUPPORTED_BUILTIN(base, path.relative(REPO_ROOT, args.importer) || args.importer)
          // From roost's own folder: the shims are there, and roost depends on the Bare modules.
          spec = target + spec.slice(base.length)
          resolveDir = REPO_ROOT
        }
        // An addon package stays out of this bundle however it is named, also through the
        // builtin table (net → bare-tcp): bundled in here, it would not find its prebuild.
        const root = spec.startsWith('.') ? null : packageRoot(spec, resolveDir)
        if (!root || root.name === self || !isAddonPackage(root.dir)) {
          return spec === args.path ? undefined : build.resolve(spec, { resolveDir, kind: args.kind, pluginData: 'roost-alias' })
        }
        const known = addons.get(root.name)
        if (known && known.dir !== root.dir) throw BuildError.DUPLICATE_ADDON(root.name, [known.dir, root.dir])
        const version = (JSON.parse(fs.readFileSync(path.join(root.dir, 'package.json'), 'utf8')) as { version: string }).version
        const entry = known ?? { name: root.name, dir: root.dir, version, subpaths: new Set<string>(), resolveDir }
        entry.subpaths.add(spec.slice(root.name.length))
        addons.set(root.name, entry)
        return { path: spec, external: true }
      })
      // Packages written for Node.js need more than the builtin table to load on Bare.
      if (opts.runtime === 'bare') loadNodePackagesForBare(build, REPO_ROOT)
    }
  }

  try {
    const result = await esbuild.build({
      ...input,
      metafile: true,
      write,
      absWorkingDir: REPO_ROOT,
      bundle: true,
      outfile,
      format: 'cjs',
      platform: opts.runtime === 'node' ? 'node' : 'neutral',
      target: opts.runtime === 'node' ? 'node18' : 'es2022',
      conditions: [opts.runtime],
      mainFields: ['main', 'module'],
      minify: true,
      legalComments: 'none',
      // ASCII, non-ASCII characters escaped: V8 holds a script's source as a string for
      // as long as the script lives, and one non-ASCII character made it UTF-16, twice
      // its size (roost-shared.cjs: 427 KB on disk, 854 KB in the heap).
      charset: 'ascii',
      // upstream(bare@1.31.0): bare-module keeps each CommonJS module's source Buffer
      // (module._source) for as long as the process runs, to lex its exports should an ES
      // module import it; nothing imports these, and the bundles' sources were 1 MB.
      ...(opts.runtime === 'bare' ? { banner: { js: 'module._source=null;' } } : {}),
      // import() of a role bundle becomes require(): the same loading on Bare and Node,
      // with the role's exports as named exports.
      supported: { 'dynamic-import': false },
      define: { ROOST_VERSION: JSON.stringify(opts.version) },
      plugins: [plugin],
      logLevel: 'silent'
    })
    return result.metafile
  } catch (err) {
    const failure = err as { errors?: Array<{ text: string, detail?: unknown }> }
    const inner = failure.errors?.[0]?.detail
    if (inner instanceof BuildError) throw inner
    throw BuildError.BUNDLE_FAILED(failure.errors?.map((e) => e.text).join('; ') ?? String(err))
  }
}
