// The agent's package for a router, built as `roost build --board ID` builds it
// (targets/lua/artifact.ts), and what it costs: the .ipk's bytes, the Lua file, and the
// files the package installs, read back from the .ipk itself.
import fs from 'node:fs'
import path from 'node:path'
import zlib from 'node:zlib'
import { AGENT_LUA_FILE, buildAgentArtifact } from '../../../targets/lua/artifact.ts'
import { tarFiles } from '../../../targets/tar.ts'
import type { Board } from '../../config/boards.ts'
import { HarnessError } from '../../harness/errors.ts'
import type { PackageFigures } from './figures.ts'

export interface BuiltPackage { figures: PackageFigures, luaFile: string }

export async function buildPackage (board: Board, outDir: string): Promise<BuiltPackage> {
  const { manifest } = await buildAgentArtifact({ board, outDir })
  const ipk = fs.readFileSync(path.join(outDir, manifest.package.file))
  const { installedBytes, installedSizeField } = ipkInstalledSize(ipk)
  return {
    figures: {
      board: board.id,
      openwrtArch: manifest.openwrtArch,
      file: manifest.package.file,
      ipkBytes: ipk.length,
      luaBytes: manifest.bundle.bytes,
      installedBytes,
      installedSizeField
    },
    luaFile: path.join(outDir, AGENT_LUA_FILE)
  }
}

// An .ipk is a gzip'd tar of debian-binary, control.tar.gz and data.tar.gz (ipk-container.ts).
export function ipkInstalledSize (ipk: Buffer): { installedBytes: number, installedSizeField: number } {
  const member = (files: ReturnType<typeof tarFiles>, name: string): Buffer => {
    const file = files.find((f) => f.path === name)
    if (file === undefined) throw HarnessError.CHECK_FAILED(`the .ipk has no ${name}: ${files.map((f) => f.path).join(', ')}`)
    return file.data
  }
  const outer = tarFiles(zlib.gunzipSync(ipk))
  const data = tarFiles(zlib.gunzipSync(member(outer, './data.tar.gz')))
  const control = member(tarFiles(zlib.gunzipSync(member(outer, './control.tar.gz'))), './control').toString('utf8')
  const field = /^Installed-Size: (\d+)$/m.exec(control)
  if (field === null) throw HarnessError.CHECK_FAILED(`the .ipk's control file has no Installed-Size: ${control}`)
  return { installedBytes: data.reduce((sum, f) => sum + f.data.length, 0), installedSizeField: Number(field[1]) }
}
