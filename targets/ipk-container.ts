// What every roost .ipk shares, the node's (targets/ipk.ts) and the Lua agent's
// (targets/lua/ipk.ts): a gzip'd tar of debian-binary, control.tar.gz and data.tar.gz, as
// OpenWrt's own ipkg-build writes it, byte-identical for the same inputs. (OpenWrt 25.12
// moved to apk v3 packages; nothing on Debian 12 or npm writes them, see the README.)
import fs from 'node:fs'
import path from 'node:path'
import { byCodeUnit } from './bundle.ts'
import { gzip, tar, type TarEntry } from './tar.ts'

export interface IpkContents {
  // Package, Version, Depends, ...: Installed-Size is added, counted as ipkg-build does.
  control: Record<string, string>
  conffiles: string[]
  postinst: string
  prerm: string
  // './'-relative paths of the files installed; their folders are added.
  data: TarEntry[]
}

// The package's own release: a package built twice from one roost version is the same.
const PACKAGE_RELEASE = 1

// opkg compares versions as dpkg does: a semver pre-release ("1.0.0-rc.1") must sort
// before its release, which '~' does and '-' would not.
export function opkgVersion (version: string): string {
  return `${version.replace('-', '~')}-${PACKAGE_RELEASE}`
}

// package_version_architecture.ipk, as ipkg-build names it.
export function packageFileName (name: string, version: string, openwrtArch: string): string {
  return `${name}_${opkgVersion(version)}_${openwrtArch}.ipk`
}

// The package's bytes and its control fields as written.
export function ipkBytes (contents: IpkContents): { ipk: Buffer, control: Record<string, string> } {
  const data = tar(withFolders(contents.data))
  const fields = { ...contents.control }
  const at = Object.keys(fields).indexOf('Maintainer')
  const entries = Object.entries(fields)
  // Where ipkg-build puts it: before Maintainer.
  entries.splice(at < 0 ? entries.length : at, 0, ['Installed-Size', String(data.length)])
  const control = Object.fromEntries(entries)
  const controlTar = tar(withFolders([
    { path: './conffiles', mode: 0o644, data: Buffer.from(contents.conffiles.map((file) => `${file}\n`).join('')) },
    { path: './control', mode: 0o644, data: Buffer.from(entries.map(([key, value]) => `${key}: ${value}\n`).join('')) },
    { path: './postinst', mode: 0o755, data: Buffer.from(contents.postinst) },
    { path: './prerm', mode: 0o755, data: Buffer.from(contents.prerm) }
  ]))
  // The order OpenWrt's ipkg-build writes.
  const ipk = gzip(tar([
    { path: './debian-binary', mode: 0o644, data: Buffer.from('2.0\n') },
    { path: './data.tar.gz', mode: 0o644, data: gzip(data) },
    { path: './control.tar.gz', mode: 0o644, data: gzip(controlTar) }
  ]))
  return { ipk, control }
}

// Written beside its place and renamed there: a reader never sees half a package.
export function writeIpk (outFile: string, ipk: Buffer): string {
  const file = path.resolve(outFile)
  fs.mkdirSync(path.dirname(file), { recursive: true })
  const partial = `${file}.partial-${process.pid}`
  fs.writeFileSync(partial, ipk)
  fs.renameSync(partial, file)
  return file
}

// Every file with the folders above it, each once, in code-unit order (a folder sorts
// before what it holds).
function withFolders (files: TarEntry[]): TarEntry[] {
  const folders = new Map<string, TarEntry>([['./', { path: './', mode: 0o755 }]])
  for (const file of files) {
    const parts = file.path.split('/')
    for (let i = 2; i < parts.length; i++) {
      const folder = parts.slice(0, i).join('/') + '/'
      folders.set(folder, { path: folder, mode: 0o755 })
    }
  }
  return [...folders.values(), ...files].sort((a, b) => byCodeUnit(a.path, b.path))
}
