// Trixie's first-boot hook: cloud-init's NoCloud files on the boot partition. The image
// ships user-data, meta-data and network-config (pi-gen stage2/04-cloud-init: comments
// only, meta-data `dsmode: local`, `instance_id: rpios-image`), and Raspberry Pi Imager
// rewrites them with the user's settings. roost keeps what is there and adds:
//   user-data       one runcmd entry that runs roost/first-boot.sh;
//   network-config  with --wifi, the access point (netplan v2 `wifis`, as Imager writes it);
//   meta-data       only when missing (NoCloud needs it);
//   cmdline.txt     ds=nocloud, unless a NoCloud entry is there (Imager writes ds=nocloud;i=ID).
// cloud-init runs runcmd once per instance, late in the boot, with the network up: it is
// for a freshly written card, whose first boot is cloud-init's first instance.
import { isMap, isNode, isScalar, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml'
import type { CmdlineEntry } from './cmdline.ts'
import { BOOT_MOUNT, FIRST_BOOT_SCRIPT } from './first-boot.ts'
import type { Wifi } from './wifi.ts'
import { ProvisionError } from '../errors.ts'

export const NOCLOUD_CMDLINE: readonly CmdlineEntry[] = [
  // A NoCloud entry with a seed elsewhere (s=, seedfrom=) would make cloud-init ignore
  // the files roost writes.
  { key: 'ds', value: 'nocloud', alsoAccepts: (value) => /^nocloud(;|$)/.test(value) && !/;(s|seedfrom)=/.test(value) }
]

const RUNCMD = ['sh', `${BOOT_MOUNT}/${FIRST_BOOT_SCRIPT}`]
// Raspberry Pi's examples put a list's dashes under its key; lineWidth 0 keeps long lines
// (SSH keys, password hashes) whole.
const STRINGIFY = { indentSeq: false, lineWidth: 0 } as const

// user-data with roost's runcmd entry, or null when it is already there.
export function userData (existing: Buffer | null, deviceName: string): Buffer | null {
  const text = existing?.toString('utf8') ?? '#cloud-config\n'
  if (!/^#cloud-config[ \t]*\r?\n/.test(text)) {
    throw ProvisionError.CLOUD_INIT_FILE('user-data', 'its first line is not #cloud-config (a script or MIME user-data cannot take a runcmd entry)')
  }
  const doc = parse('user-data', text)
  const root = rootMap(doc, 'user-data')
  let runcmd: unknown = root.get('runcmd', true)
  if (runcmd === undefined || runcmd === null || (isScalar(runcmd) && runcmd.value === null)) {
    runcmd = doc.createNode([])
    root.set('runcmd', runcmd)
  }
  if (!isSeq(runcmd)) throw ProvisionError.CLOUD_INIT_FILE('user-data', 'runcmd is not a list')
  if (runcmd.items.some((item) => JSON.stringify(isNode(item) ? item.toJSON() : item) === JSON.stringify(RUNCMD))) return null
  const entry = doc.createNode(RUNCMD) as YAMLSeq
  entry.flow = true
  entry.commentBefore = ` roost flash: install the roost node of device ${deviceName} (roost/README.txt)`
  runcmd.items.push(entry)
  return Buffer.from(doc.toString(STRINGIFY))
}

// network-config with the access point, or null when it is already there as given.
export function networkConfig (existing: Buffer | null, wifi: Wifi): Buffer | null {
  const doc = parse('network-config', existing?.toString('utf8') ?? '')
  const root = rootMap(doc, 'network-config')
  const version = doc.getIn(['network', 'version'])
  if (root.has('network') && version !== 2) {
    throw ProvisionError.CLOUD_INIT_FILE('network-config', `roost writes Wi-Fi as netplan version 2; this file has version ${String(version)}`)
  }
  const wlan = ['network', 'wifis', 'wlan0']
  const wanted: Array<[string[], unknown]> = [
    [['network', 'version'], 2],
    [[...wlan, 'dhcp4'], true],
    [[...wlan, 'optional'], true],
    [[...wlan, 'regulatory-domain'], wifi.country],
    [[...wlan, 'access-points', wifi.ssid, 'password'], wifi.pskHex]
  ]
  const missing = wanted.filter(([at, value]) => doc.getIn(at) !== value)
  if (missing.length === 0) return null
  for (const [at, value] of missing) doc.setIn(at, value)
  return Buffer.from(doc.toString(STRINGIFY))
}

export function metaData (deviceName: string): Buffer {
  return Buffer.from(`dsmode: local\ninstance-id: roost-${deviceName}\n`)
}

function parse (file: string, text: string): Document {
  const doc = parseDocument(text, { prettyErrors: false })
  const error = doc.errors[0]
  if (error !== undefined) throw ProvisionError.CLOUD_INIT_FILE(file, `not valid YAML: ${error.message}`)
  return doc
}

function rootMap (doc: Document, file: string): YAMLMap {
  if (doc.contents === null) doc.contents = doc.createNode({})
  if (!isMap(doc.contents)) throw ProvisionError.CLOUD_INIT_FILE(file, 'its top level is not a mapping')
  return doc.contents
}
