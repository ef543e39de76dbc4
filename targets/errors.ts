// Errors of the build: each names what went wrong and what to do about it.
import { RoostError } from '../node/errors.ts'

export class BuildError extends RoostError {
  constructor (code: string, message: string, hint?: string, cause?: unknown) {
    super('BuildError', code, message, hint, cause)
  }

  // A package changed under one of the exact edits the Bare build makes to it.
  static PATCH_MISMATCH (file: string, from: string, count: number): BuildError {
    return new BuildError('PATCH_MISMATCH', `${file}: expected "${from}" once, found it ${count} times`,
      'the package changed: check the patch in targets/bare/builtins.ts against the new version')
  }

  static NO_BARE_RUNTIME (boardId: string, host: string): BuildError {
    return new BuildError('NO_BARE_RUNTIME',
      `board ${boardId} (${host}) cannot run the Bare node: no Bare runtime or native addons exist for ${host}`,
      `this board runs the Lua agent, which forwards readings to a node: \`roost build --board ${boardId}\` (no --runtime) builds it; build the node for a linux-arm64 or linux-x64 board on the same LAN`)
  }

  static NOT_AN_AGENT_BOARD (boardId: string): BuildError {
    return new BuildError('NOT_AN_AGENT_BOARD', `board ${boardId} does not run the Lua agent: only OpenWrt boards with runtime: lua-agent and an openwrt_arch do`,
      `build its node with: roost build --board ${boardId}`)
  }

  static UNSUPPORTED_BUILTIN (builtin: string, importer: string): BuildError {
    return new BuildError('UNSUPPORTED_BUILTIN', `${importer} imports the Node.js builtin "${builtin}", which has no Bare module mapped`,
      'map it in targets/bare/builtins.ts or avoid the import')
  }

  static MISSING_PREBUILD (pkg: string, host: string, runtime: string): BuildError {
    return new BuildError('MISSING_PREBUILD', `native addon ${pkg} has no ${runtime} prebuild for ${host}`)
  }

  static WRONG_MACHINE (file: string, expected: string, found: string): BuildError {
    return new BuildError('WRONG_MACHINE', `${file} is built for ${found}, but the artifact is for ${expected}`)
  }

  static DUPLICATE_ADDON (name: string, dirs: string[]): BuildError {
    return new BuildError('DUPLICATE_ADDON', `two copies of native addon ${name} are in the dependency tree: ${dirs.join(', ')}`,
      'dedupe with `npm dedupe` or an `overrides` entry so one version is bundled')
  }

  // The build strips the artifact's native code itself (targets/elf-strip.ts), and
  // knows only the kinds of ELF file the hosts it builds for use.
  static ELF_NOT_STRIPPABLE (file: string, what: string): BuildError {
    return new BuildError('ELF_NOT_STRIPPABLE', `${file} cannot be stripped: ${what}; roost strips ELF64 little-endian x86-64 and aarch64 executables and shared objects`,
      'a prebuild or runtime of another kind reached the artifact: check it with `readelf -h` and the package it came from')
  }

  static ELF_DAMAGED (file: string, reason: string): BuildError {
    return new BuildError('ELF_DAMAGED', `${file} is not a whole ELF file: ${reason}`,
      'reinstall the package it comes from (npm ci) and build again')
  }

  static BUNDLE_FAILED (reason: string): BuildError {
    return new BuildError('BUNDLE_FAILED', `esbuild could not bundle the node: ${reason}`)
  }

  static OUT_DIR_NOT_ARTIFACT (dir: string): BuildError {
    return new BuildError('OUT_DIR_NOT_ARTIFACT', `${dir} exists and is not a roost artifact; the build will not replace it`,
      'pass --out with a new or empty folder, or one that holds an earlier roost build')
  }

  // A dependency bump brought native code that needs a library install.sh and the .ipk
  // do not know how to get on the device.
  static UNKNOWN_SHARED_LIBRARY (library: string, file: string): BuildError {
    return new BuildError('UNKNOWN_SHARED_LIBRARY', `${file} needs the shared library ${library}, which no device package is known to provide`,
      'add it with its Debian and OpenWrt packages to targets/shared-libs.ts')
  }

  static SCRIPT_PLACEHOLDERS (script: string, missing: string[], unused: string[]): BuildError {
    const parts = [...(missing.length > 0 ? [`no value for ${missing.join(', ')}`] : []), ...(unused.length > 0 ? [`no placeholder for ${unused.join(', ')}`] : [])]
    return new BuildError('SCRIPT_PLACEHOLDERS', `targets/scripts/${script}: ${parts.join('; ')}`,
      'the script and the code that fills it disagree: change them together')
  }

  static TAR_PATH_TOO_LONG (entryPath: string): BuildError {
    return new BuildError('TAR_PATH_TOO_LONG', `${entryPath} is too long for a ustar entry (100 bytes of name, 155 of folder)`,
      'shorten the path in the artifact, or teach targets/tar.ts GNU long names')
  }

  static NOT_OPENWRT_BOARD (boardId: string): BuildError {
    return new BuildError('NOT_OPENWRT_BOARD', `board ${boardId} is not an OpenWrt board with an openwrt_arch: an .ipk is only for those`,
      'install on Debian and Raspberry Pi OS with the artifact\'s install.sh')
  }

  static NOT_AN_ARTIFACT (dir: string): BuildError {
    return new BuildError('NOT_AN_ARTIFACT', `${dir} has no roost manifest.json`, 'build the artifact first: roost build --board ID')
  }

  static ARTIFACT_OF_ANOTHER_BOARD (dir: string, found: string, wanted: string): BuildError {
    return new BuildError('ARTIFACT_OF_ANOTHER_BOARD', `${dir} is an artifact for ${found}, not for ${wanted}`)
  }

  static LUA_ENTRY_NOT_FOUND (entry: string, dir: string): BuildError {
    return new BuildError('LUA_ENTRY_NOT_FOUND', `the Lua agent has no entry ${entry} in ${dir}`,
      'name a .ts file of targets/lua/agent/, such as main.ts')
  }

  // typescript-to-lua's own diagnostics, type errors included, one per line.
  static LUA_COMPILE_FAILED (entry: string, diagnostics: string): BuildError {
    return new BuildError('LUA_COMPILE_FAILED', `typescript-to-lua could not compile the Lua agent from ${entry}:\n${diagnostics}`,
      'check the agent sources with: npx tsc --noEmit -p targets/lua/agent')
  }

  static ARTIFACT_DAMAGED (dir: string, file: string): BuildError {
    return new BuildError('ARTIFACT_DAMAGED', `${dir}/${file} is missing or differs from the artifact's manifest.json`,
      'build the artifact again: roost build --board ID')
  }
}
