// The lan-ingest role's rules: the port and address it listens on, and each agent
// device (name, id, key or key file, mapping rules). The same device rules check the
// devices `roost agent add` writes to the data folder (node/lan/devices.ts). A key is a
// secret: no problem shows its value.
import { checkRules, type MappingRule } from '../bridge/rules.ts'
import { CONFIG_JSON_WORDS, rangeProblems, type FieldPath, type FieldWords, type Problem, type Range } from './problems.ts'
import type { LanDevice, LanIngestSettings } from './types.ts'

export const LAN_INGEST_LIMITS: Readonly<Record<'port', Range>> = {
  port: { min: 1, max: 65_535 }
}

export const DEVICE_NAME = /^[a-z0-9][a-z0-9_-]{0,63}$/
export const DEVICE_ID = /^[0-9a-f]{16}$/
export const DEVICE_KEY = /^[0-9a-f]{64}$/
const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/

// `bridgeRules`: the feeds the bridge writes, so that a device cannot write one of them
// with another decoder (one feed has one decoder, whoever writes it).
export function lanIngestProblems (section: LanIngestSettings, words: FieldWords = CONFIG_JSON_WORDS, bridgeRules: MappingRule[] = []): Problem[] {
  const problems: Problem[] = [...rangeProblems('lanIngest', section, LAN_INGEST_LIMITS, words)]
  if (!IPV4.test(section.host)) {
    problems.push({ path: ['lanIngest', 'host'], reason: 'expected an IPv4 address to listen on (0.0.0.0 for every interface)', showsValue: true })
  }
  const names = new Map<string, number>()
  const ids = new Map<string, number>()
  section.devices.forEach((device, i) => {
    const at: FieldPath = ['lanIngest', 'devices', i]
    problems.push(...lanDeviceProblems(device, at, words))
    const sameName = names.get(device.name)
    if (sameName !== undefined) problems.push({ path: [...at, 'name'], reason: `device ${sameName + 1} has this name too; each device has its own`, showsValue: true })
    else names.set(device.name, i)
    const sameId = ids.get(device.id)
    if (sameId !== undefined) problems.push({ path: [...at, 'id'], reason: `device ${sameId + 1} has this id too; each device has its own`, showsValue: true })
    else ids.set(device.id, i)
  })
  return [...problems, ...feedDecoderProblems(section.devices, bridgeRules)]
}

// One device, wherever it is written: `at` is its path (config.json's devices list, or
// the root of an agents/ file).
export function lanDeviceProblems (device: LanDevice, at: FieldPath, words: FieldWords = CONFIG_JSON_WORDS): Problem[] {
  const key = (field: keyof LanDevice): string => words.key([...at, field])
  const problems: Problem[] = []
  if (!DEVICE_NAME.test(device.name)) {
    problems.push({ path: [...at, 'name'], reason: 'expected a device name (lower-case letters, digits, - and _, at most 64)', showsValue: true })
  }
  if (!DEVICE_ID.test(device.id)) {
    problems.push({ path: [...at, 'id'], reason: 'expected 16 lower-case hex characters (8 bytes)', hint: '`roost agent add NAME` makes an id and a key', showsValue: true })
  }
  if (device.key === null && device.keyFile === null) {
    problems.push({ path: at, reason: `expected ${key('key')} or ${key('keyFile')}`, hint: '`roost agent add NAME` makes an id and a key' })
  } else if (device.key !== null && device.keyFile !== null) {
    problems.push({ path: [...at, 'keyFile'], reason: `expected either ${key('key')} or ${key('keyFile')}, not both`, hint: `keep ${key('keyFile')}, so the secret stays out of config.json` })
  } else if (device.key !== null && !DEVICE_KEY.test(device.key)) {
    problems.push({ path: [...at, 'key'], reason: 'expected 64 lower-case hex characters (a 32-byte key)' })
  } else if (device.keyFile !== null && !isKeyFilePath(device.keyFile)) {
    problems.push({ path: [...at, 'keyFile'], reason: 'expected an absolute path on the board, like /etc/roost/agent.key, or one inside the data folder, like lan-keys/agent.key', showsValue: true })
  }
  if (device.rules.length === 0) problems.push({ path: [...at, 'rules'], reason: 'expected at least one mapping rule' })
  for (const problem of checkRules(device.rules)) {
    problems.push({ path: [...at, 'rules', problem.index, problem.field], reason: problem.reason })
  }
  return problems
}

// A relative key file is inside the node's data folder (where `roost provision` puts the
// keys of a fleet's agents, lan-keys/NAME.key), so that it moves with the folder: on the
// device, under install.sh --prefix, or with --storage.
function isKeyFilePath (file: string): boolean {
  if (file.startsWith('/')) return true
  return file !== '' && file.split('/').every((segment) => segment !== '' && segment !== '.' && segment !== '..')
}

// checkRules keeps one decoder per feed within one list; this does it across the
// bridge's list and every device's.
function feedDecoderProblems (devices: LanDevice[], bridgeRules: MappingRule[]): Problem[] {
  const problems: Problem[] = []
  // `device`: the index of the device whose rule came first; -1 for the bridge.
  const first = new Map<string, { decoder: string, where: string, device: number }>()
  bridgeRules.forEach((rule, i) => { if (!first.has(rule.feed)) first.set(rule.feed, { decoder: rule.decoder, where: `bridge rule ${i + 1}`, device: -1 }) })
  devices.forEach((device, d) => device.rules.forEach((rule, r) => {
    const earlier = first.get(rule.feed)
    if (earlier === undefined) {
      first.set(rule.feed, { decoder: rule.decoder, where: `rule ${r + 1} of device ${device.name}`, device: d })
    } else if (earlier.decoder !== rule.decoder && earlier.device !== d) {
      problems.push({
        path: ['lanIngest', 'devices', d, 'rules', r, 'decoder'],
        reason: `feed "${rule.feed}" is written with decoder "${earlier.decoder}" by ${earlier.where}; one feed has one decoder`
      })
    }
  }))
  return problems
}
