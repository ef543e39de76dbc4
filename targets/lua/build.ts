// The Lua agent's build: typescript-to-lua's API compiles one entry of targets/lua/agent/
// and every module it imports into one Lua 5.3 file. The compiler options live in
// targets/lua/agent/tsconfig.json (its "tstl" section), so the build and
// `tsc -p targets/lua/agent` check the same sources the same way.
import fs from 'node:fs'
import path from 'node:path'
import ts from 'typescript'
import * as tstl from 'typescript-to-lua'
import { BuildError } from '../errors.ts'

export const LUA_AGENT_DIR = path.join(path.dirname(new URL(import.meta.url).pathname), 'agent')
const AGENT_TSCONFIG = path.join(LUA_AGENT_DIR, 'tsconfig.json')

// How lualib (tstl's runtime for JS features Lua lacks) reaches the bundle:
// 'require-minimal' once, as a module holding only the features used; 'inline' copied into
// each module that uses one; 'none' leaves it out (only to measure what it costs: a bundle
// that needs lualib then fails at run time).
export type LuaLibImport = 'require-minimal' | 'inline' | 'none'

export interface LuaBundleOptions {
  // A file of targets/lua/agent/: main.ts for the agent, vector-runner.ts for the tests.
  entry: string
  outFile: string
  // The tsconfig's choice (require-minimal) unless given.
  luaLib?: LuaLibImport
}

export interface LuaBundleResult {
  file: string
  bytes: number
}

function diagnosticText (diagnostics: readonly ts.Diagnostic[]): string {
  return diagnostics.map((d) => {
    const message = ts.flattenDiagnosticMessageText(d.messageText, '\n')
    if (d.file === undefined || d.start === undefined) return message
    const { line, character } = d.file.getLineAndCharacterOfPosition(d.start)
    return `${path.relative(LUA_AGENT_DIR, d.file.fileName)}:${line + 1}:${character + 1}: ${message}`
  }).join('\n')
}

export function buildLuaBundle (opts: LuaBundleOptions): LuaBundleResult {
  const entry = path.join(LUA_AGENT_DIR, opts.entry)
  if (path.dirname(entry) !== LUA_AGENT_DIR || !entry.endsWith('.ts') || !fs.existsSync(entry)) {
    throw BuildError.LUA_ENTRY_NOT_FOUND(opts.entry, LUA_AGENT_DIR)
  }
  const config = tstl.parseConfigFileWithSystem(AGENT_TSCONFIG)
  if (config.errors.length > 0) throw BuildError.LUA_COMPILE_FAILED(opts.entry, diagnosticText(config.errors))

  const bundleName = path.basename(opts.outFile)
  const emitted = new Map<string, string>()
  // Only the entry is a root file, so the bundle holds what it imports and nothing else
  // of the folder (the agent's package never carries the test runner); the folder's
  // declaration files (LuaSocket's) come along, as they emit no code.
  const declarations = fs.readdirSync(LUA_AGENT_DIR).filter((name) => name.endsWith('.d.ts')).sort().map((name) => path.join(LUA_AGENT_DIR, name))
  const result = tstl.transpileFiles([entry, ...declarations], {
    ...config.options,
    noEmit: false,
    outDir: path.dirname(opts.outFile),
    luaBundle: bundleName,
    luaBundleEntry: entry,
    ...(opts.luaLib !== undefined ? { luaLibImport: opts.luaLib as tstl.LuaLibImportKind } : {})
  }, (fileName, text) => { emitted.set(path.basename(fileName), text) })

  // tstl advises against inline lualib in a bundle (a warning): only errors stop the build.
  const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error)
  const lua = emitted.get(bundleName)
  if (errors.length > 0 || lua === undefined) {
    throw BuildError.LUA_COMPILE_FAILED(opts.entry, errors.length > 0 ? diagnosticText(errors) : `no ${bundleName} was emitted`)
  }
  fs.mkdirSync(path.dirname(opts.outFile), { recursive: true })
  fs.writeFileSync(opts.outFile, lua)
  return { file: opts.outFile, bytes: Buffer.byteLength(lua) }
}

// The agent as it is shipped, and as the tests run it: the bundle of main.ts, run
// directly as /usr/bin/roost-agent (so procd's log lines say roost-agent, not lua5.3).
export const AGENT_INTERPRETER = '/usr/bin/lua5.3'

export function buildAgentLua (outFile: string): LuaBundleResult {
  buildLuaBundle({ entry: 'main.ts', outFile })
  const lua = `#!${AGENT_INTERPRETER}\n${withoutIndentation(fs.readFileSync(outFile, 'utf8'))}`
  fs.writeFileSync(outFile, lua)
  return { file: outFile, bytes: Buffer.byteLength(lua) }
}

// tstl indents with four spaces a level, a quarter of the bundle; Lua ignores it. Only a
// long bracket (a [[string]] or --[[comment]]) could hold indentation that matters, and
// tstl writes strings with escapes: a bundle with one is left as it is.
function withoutIndentation (lua: string): string {
  return /\[=*\[/.test(lua) ? lua : lua.replace(/^[ \t]+/gm, '')
}
