// `roost package`: a provisioned OpenWrt device's own .ipk (the board's artifact, the
// procd init script, UCI config, the device's config and identity), for `opkg install`.
// It holds the device's secret key (and its Lua agents' keys): written mode 0600, never
// anywhere but DIR/packages.
import fs from 'node:fs'
import path from 'node:path'
import { buildIpk, ipkFileName } from '../../targets/ipk.ts'
import type { Manifest } from '../../targets/artifact.ts'
import { loadProvisionedDevice } from './device.ts'
import { ProvisionError } from './errors.ts'

export interface PackageResult { file: string, bytes: number, written: boolean }

export function packageDevice (outDir: string, name: string): PackageResult {
  const dev = loadProvisionedDevice(outDir, name, (board) => {
    if (board.init !== 'procd' || board.openwrtArch === null) throw ProvisionError.NOT_OPENWRT(name, board.id)
  })
  const manifest = JSON.parse(fs.readFileSync(path.join(dev.artifactDir, 'manifest.json'), 'utf8')) as Manifest
  const file = path.join(outDir, 'packages', name, ipkFileName(manifest.version, dev.board.openwrtArch!))
  const fresh = `${file}.new`
  const { bytes } = buildIpk({
    artifactDir: dev.artifactDir,
    board: dev.board,
    outFile: fresh,
    device: { name, configFile: dev.configFile, identityFile: dev.identityFile, lanKeysDir: dev.lanKeysDir ?? undefined }
  })
  fs.chmodSync(fresh, 0o600)
  // Builds are byte-identical for the same inputs: an unchanged package is not rewritten.
  if (fs.existsSync(file) && fs.readFileSync(file).equals(fs.readFileSync(fresh))) {
    fs.rmSync(fresh)
    return { file, bytes, written: false }
  }
  fs.renameSync(fresh, file)
  return { file, bytes, written: true }
}
