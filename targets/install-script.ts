// install.sh for systemd artifacts: the script in targets/scripts/install.sh with what
// it checks filled in for this board and artifact.
import type { Manifest, ManifestFile } from './artifact.ts'
import { BuildError } from './errors.ts'
import { INSTALL_DIR, SERVICE_USER } from './device-paths.ts'
import type { SharedLibrary } from './shared-libs.ts'
import { fillScript } from './template.ts'

export const INSTALL_SCRIPT = 'install.sh'

// What `uname -m`, `dpkg --print-architecture` and Debian's multiarch library folder say
// on a device of each host.
const DEVICE_ARCH: Record<string, { machine: string, dpkg: string, triplet: string }> = {
  'linux-arm64': { machine: 'aarch64', dpkg: 'arm64', triplet: 'aarch64-linux-gnu' },
  'linux-x64': { machine: 'x86_64', dpkg: 'amd64', triplet: 'x86_64-linux-gnu' }
}

export interface InstallScriptInput {
  version: string
  boardId: string
  host: string
  unitName: string
  runtime: Manifest['runtime']
  libraries: SharedLibrary[]
  glibc: string | null
  // Every file of the artifact but install.sh and manifest.json.
  files: ManifestFile[]
}

export function installScript (input: InstallScriptInput): string {
  const arch = DEVICE_ARCH[input.host]
  if (arch === undefined) throw BuildError.NO_BARE_RUNTIME(input.boardId, input.host)
  const bytes = input.files.reduce((sum, file) => sum + file.size, 0)
  return fillScript(INSTALL_SCRIPT, {
    VERSION: input.version,
    BOARD: input.boardId,
    HOST: input.host,
    MACHINE: arch.machine,
    DPKG_ARCH: arch.dpkg,
    LIB_DIRS: [`/lib/${arch.triplet}`, `/usr/lib/${arch.triplet}`, '/lib64', '/usr/lib64', '/lib', '/usr/lib'].join(' '),
    GLIBC: input.glibc ?? '',
    LIBRARIES: input.libraries.map((lib) => `${lib.name}:${lib.debian}:${lib.neededBy.join(',')}`).join(' '),
    // The manifest's file list and this script add a few KiB; the margin covers them.
    ARTIFACT_KB: String(Math.ceil(bytes / 1024)),
    INSTALL_DIR,
    SERVICE_USER,
    UNIT: input.unitName,
    RUNTIME: input.runtime.name,
    // Only an artifact without bin/bare prints it, when no Bare is found either.
    RUNTIME_INSTALL: input.runtime.install ?? `copy bin/bare of the artifact for ${input.host} to ${INSTALL_DIR}/bin/bare`
  })
}
