// What the artifact's native code needs from the device, read from the ELF files
// themselves: the shared libraries beyond the C library, each with the package that
// provides it on Debian and on OpenWrt, and the oldest glibc that has every symbol
// version it uses. install.sh checks for them and the .ipk depends on them.
import path from 'node:path'
import { byCodeUnit } from './bundle.ts'
import { byVersion, elfDynamic } from './elf.ts'
import { BuildError } from './errors.ts'

export interface SharedLibrary {
  name: string
  debian: string
  openwrt: string
  // The addons (or 'bare') that need it.
  neededBy: string[]
}

const PACKAGES: Record<string, { debian: string, openwrt: string }> = {
  // rocksdb-native's prebuilds, arm64 and x64 alike.
  'libatomic.so.1': { debian: 'libatomic1', openwrt: 'libatomic1' },
  'libstdc++.so.6': { debian: 'libstdc++6', openwrt: 'libstdcpp6' },
  'libgcc_s.so.1': { debian: 'libgcc-s1', openwrt: 'libgcc1' }
}

// glibc's own libraries and loader: present wherever the system's C library is.
const C_LIBRARY = /^(libc|libm|libdl|libpthread|librt)\.so\.\d+$|^ld-linux[-\w.]*\.so\.\d+$/

export interface DeviceNeeds { libraries: SharedLibrary[], glibc: string | null }

// files: the artifact's ELF files, relative to outDir.
export function deviceNeeds (outDir: string, files: string[]): DeviceNeeds {
  const byName = new Map<string, SharedLibrary>()
  const glibc: string[] = []
  for (const file of files) {
    const dynamic = elfDynamic(path.join(outDir, file))
    if (dynamic.glibc !== null) glibc.push(dynamic.glibc)
    for (const name of dynamic.needed) {
      if (C_LIBRARY.test(name)) continue
      const packages = PACKAGES[name]
      if (packages === undefined) throw BuildError.UNKNOWN_SHARED_LIBRARY(name, file)
      const library = byName.get(name) ?? { name, ...packages, neededBy: [] }
      const owner = ownerOf(file)
      if (!library.neededBy.includes(owner)) library.neededBy.push(owner)
      byName.set(name, library)
    }
  }
  const libraries = [...byName.values()]
    .map((library) => ({ ...library, neededBy: library.neededBy.sort(byCodeUnit) }))
    .sort((a, b) => byCodeUnit(a.name, b.name))
  return { libraries, glibc: glibc.sort(byVersion).at(-1) ?? null }
}

// node_modules/rocksdb-native/prebuilds/… → rocksdb-native; bin/bare → bare.
function ownerOf (file: string): string {
  const parts = file.split('/')
  if (parts[0] !== 'node_modules') return path.posix.basename(file)
  return parts[1].startsWith('@') ? `${parts[1]}/${parts[2]}` : parts[1]
}
