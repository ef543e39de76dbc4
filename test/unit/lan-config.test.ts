// The lan-ingest section of the node config: its rules, written once in node/config and
// called by the node and by `roost build`, report every problem at its path, never show
// a device key, and a key file others may read is refused when the role reads it.
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import { checkNodeConfig } from '../../node/config/check.ts'
import { lanIngestProblems } from '../../node/config/lan-ingest-rules.ts'
import type { Problem } from '../../node/config/problems.ts'
import { LAN_INGEST_DEFAULTS, type LanDevice, type LanIngestSettings } from '../../node/config/types.ts'
import { NodeError } from '../../node/errors.ts'
import { readAgentFiles, readKeyFile, writeAgentFile } from '../../node/lan/agent-files.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { ConfigError } from '../../tools/config/errors.ts'
import { YAML_WORDS } from '../../tools/config/node-keys.ts'
import { parseNodeConfig } from '../../tools/config/node-config.ts'
import { tmpDir } from '../helpers/tmp.ts'

const BOARD = loadBoard('x86-64-mini-pc')
const KEY = 'ab'.repeat(32)
const DEVICE: LanDevice = { name: 'attic-router', id: '0123456789abcdef', key: KEY, keyFile: null, rules: [{ filter: 'router/#', feed: 'router', decoder: 'json' }] }
const SECTION: LanIngestSettings = { ...LAN_INGEST_DEFAULTS, devices: [DEVICE] }

function lines (problems: Problem[]): string[] {
  return problems.map((p) => `${p.path.join('.')}: ${p.reason}${p.hint === undefined ? '' : ` (${p.hint})`}${p.showsValue === true ? ' +value' : ''}`)
}

const device = (changes: Partial<LanDevice>): string[] => lines(lanIngestProblems({ ...SECTION, devices: [{ ...DEVICE, ...changes }] }))

test('a section within every rule has no problems, with a key or a key file', (t) => {
  t.deepEqual(lanIngestProblems(SECTION), [])
  t.deepEqual(lanIngestProblems({ port: 1, host: '192.168.1.2', devices: [{ ...DEVICE, key: null, keyFile: '/etc/roost/attic.key' }] }), [])
  t.deepEqual(lanIngestProblems({ ...SECTION, devices: [] }), [])
})

test('the port and the address it listens on are reported with the value found', (t) => {
  t.deepEqual(lines(lanIngestProblems({ ...SECTION, port: 0 })), ['lanIngest.port: expected at least 1 +value'])
  t.deepEqual(lines(lanIngestProblems({ ...SECTION, port: 70_000 })), ['lanIngest.port: expected at most 65535 +value'])
  for (const host of ['localhost', '256.1.1.1', '::1', '10.0.0']) {
    t.deepEqual(lines(lanIngestProblems({ ...SECTION, host })), ['lanIngest.host: expected an IPv4 address to listen on (0.0.0.0 for every interface) +value'], host)
  }
})

test('a device\'s name and id are reported with the value; a key never is', (t) => {
  t.deepEqual(device({ name: 'Attic Router' }), ['lanIngest.devices.0.name: expected a device name (lower-case letters, digits, - and _, at most 64) +value'])
  t.deepEqual(device({ id: '0123' }), ['lanIngest.devices.0.id: expected 16 lower-case hex characters (8 bytes) (`roost agent add NAME` makes an id and a key) +value'])
  t.deepEqual(device({ key: 'AB'.repeat(32) }), ['lanIngest.devices.0.key: expected 64 lower-case hex characters (a 32-byte key)'])
  t.deepEqual(device({ key: KEY.slice(2) }), ['lanIngest.devices.0.key: expected 64 lower-case hex characters (a 32-byte key)'])
})

test('a device has a key or a key file, not both, and the file is an absolute path or one inside the data folder', (t) => {
  t.deepEqual(device({ key: null }), ['lanIngest.devices.0: expected key or keyFile (`roost agent add NAME` makes an id and a key)'])
  t.deepEqual(device({ keyFile: '/etc/roost/attic.key' }),
    ['lanIngest.devices.0.keyFile: expected either key or keyFile, not both (keep keyFile, so the secret stays out of config.json)'])
  t.deepEqual(device({ key: null, keyFile: 'lan-keys/attic.key' }), [], 'inside the data folder, where roost provision puts it')
  for (const outside of ['../attic.key', 'lan-keys/../../attic.key', './attic.key', 'lan-keys//attic.key', '']) {
    t.deepEqual(device({ key: null, keyFile: outside }), [
      'lanIngest.devices.0.keyFile: expected an absolute path on the board, like /etc/roost/agent.key, or one inside the data folder, like lan-keys/agent.key +value'
    ], outside)
  }
})

test('a device\'s rules are the bridge\'s rules, reported at their index', (t) => {
  t.deepEqual(device({ rules: [] }), ['lanIngest.devices.0.rules: expected at least one mapping rule'])
  t.deepEqual(device({ rules: [{ filter: 'router/#/x', feed: 'Router', decoder: 'json' }] }), [
    'lanIngest.devices.0.rules.0.filter: "#" must be a whole level and the last one (e.g. home/#)',
    'lanIngest.devices.0.rules.0.feed: "Router" is not a feed name (lower-case letters, digits, - and _, at most 64)'
  ])
})

test('devices have their own names and ids, and a feed keeps one decoder across devices and the bridge', (t) => {
  const other: LanDevice = { ...DEVICE, name: 'shed', id: 'fedcba9876543210', rules: [{ filter: 'shed/#', feed: 'router', decoder: 'text' }] }
  t.deepEqual(lines(lanIngestProblems({ ...SECTION, devices: [DEVICE, { ...DEVICE, id: 'fedcba9876543210' }, { ...DEVICE, name: 'cellar' }] })), [
    'lanIngest.devices.1.name: device 1 has this name too; each device has its own +value',
    'lanIngest.devices.2.id: device 1 has this id too; each device has its own +value'
  ])
  t.deepEqual(lines(lanIngestProblems({ ...SECTION, devices: [DEVICE, other] })),
    ['lanIngest.devices.1.rules.0.decoder: feed "router" is written with decoder "json" by rule 1 of device attic-router; one feed has one decoder'])
  t.deepEqual(lines(lanIngestProblems(SECTION, undefined, [{ filter: 'home/#', feed: 'router', decoder: 'raw' }])),
    ['lanIngest.devices.0.rules.0.decoder: feed "router" is written with decoder "raw" by bridge rule 1; one feed has one decoder'])
})

test('reasons name fields in the YAML\'s words for `roost build`', (t) => {
  t.deepEqual(lines(lanIngestProblems({ ...SECTION, devices: [{ ...DEVICE, keyFile: '/k' }] }, YAML_WORDS)),
    ['lanIngest.devices.0.keyFile: expected either key or key_file, not both (keep key_file, so the secret stays out of config.json)'])
})

test('the node refuses a config.json with a bad device, naming the field and never the key', (t) => {
  const file = { version: 1, boardId: 'x86-64-mini-pc', dataDir: '/srv/roost', roles: ['lan-ingest'] }
  const config = checkNodeConfig({ ...file, lanIngest: { devices: [DEVICE] } })
  t.deepEqual(config.lanIngest, { port: 9393, host: '0.0.0.0', devices: [DEVICE] })
  t.is(checkNodeConfig(file).lanIngest, null)
  const err = t.throws(() => checkNodeConfig({ ...file, lanIngest: { devices: [{ ...DEVICE, key: `${KEY}zz` }] } }), { instanceOf: NodeError })
  t.is(err?.message, 'config: lanIngest.devices.0.key: expected 64 lower-case hex characters (a 32-byte key)')
  const shape = t.throws(() => checkNodeConfig({ ...file, lanIngest: { devices: [{ name: 'x' }] } }), { instanceOf: NodeError })
  t.is(shape?.message, 'config: lanIngest.devices.0: expected { name, id, key or keyFile, rules }')
})

// The YAML as a user writes it, one field a line.
const YAML = [
  'roles: [lan-ingest]', //                    1
  'lan_ingest:', //                            2
  '  port: 9400', //                           3
  '  devices:', //                             4
  '    - name: attic-router', //               5
  '      id: 0123456789abcdef', //             6
  `      key: ${KEY}`, //                      7
  '      rules:', //                           8
  '        - filter: router/#', //             9
  '          feed: router', //                10
  '          decoder: json' //                11
]

function yamlRefusal (t: import('ava').ExecutionContext, text: string[]): ConfigError {
  const err = t.throws(() => parseNodeConfig('node.yaml', text.join('\n') + '\n', BOARD), { instanceOf: ConfigError })
  if (!(err instanceof ConfigError)) throw err as Error
  return err
}

test('lan_ingest in YAML becomes lanIngest in config.json, defaults filled', (t) => {
  const config = parseNodeConfig('node.yaml', YAML.join('\n') + '\n', BOARD)
  t.deepEqual(config.lanIngest, { port: 9400, host: '0.0.0.0', devices: [DEVICE] })
  t.deepEqual(parseNodeConfig('node.yaml', 'roles: [lan-ingest]\nlan_ingest: {}\n', BOARD).lanIngest, { port: 9393, host: '0.0.0.0', devices: [] })
})

test('a YAML problem in a device is reported at its line, and a key is never shown', (t) => {
  const badKey = yamlRefusal(t, YAML.map((l, i) => i === 6 ? `      key: ${KEY.slice(1)}` : l))
  t.is(badKey.message, 'node.yaml:7: lan_ingest.devices.0.key: expected 64 lower-case hex characters (a 32-byte key)')
  t.false(badKey.message.includes(KEY.slice(1, 20)))
  const numberKey = yamlRefusal(t, YAML.map((l, i) => i === 6 ? '      key: 123456789' : l))
  t.is(numberKey.message, 'node.yaml:7: lan_ingest.devices.0.key: expected a string, got a whole number (not shown)')
  const file = yamlRefusal(t, YAML.map((l, i) => i === 6 ? '      key_file: ../attic.key' : l))
  t.is(file.message, 'node.yaml:7: lan_ingest.devices.0.key_file: expected an absolute path on the board, like /etc/roost/agent.key, or one inside the data folder, like lan-keys/agent.key, got "../attic.key"')
})

test('the lan-ingest role and the lan_ingest section go together', (t) => {
  const noSection = yamlRefusal(t, ['roles: [lan-ingest]'])
  t.is(noSection.message, 'node.yaml:1: roles: the lan-ingest role needs a lan_ingest section (port and devices)')
  t.regex(noSection.hint ?? '', /^add lan_ingest: \{\} to listen on UDP port 9393/)
  const noRole = yamlRefusal(t, ['roles: [storage]', ...YAML.slice(1)])
  t.is(noRole.message, 'node.yaml:1: roles: expected lan-ingest among the roles, as the file has a lan_ingest section, got ["storage"]')
  // The board's default roles include lan-ingest: the section alone is enough.
  t.notThrows(() => parseNodeConfig('node.yaml', YAML.slice(1).join('\n') + '\n', BOARD))
})

test('a key file is read when it is 0600 and holds the key; others may not read it', (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'attic.key')
  fs.writeFileSync(file, KEY + '\n', { mode: 0o600 })
  t.is(readKeyFile(file), KEY)
  fs.chmodSync(file, 0o640)
  const readable = t.throws(() => readKeyFile(file), { instanceOf: NodeError })
  t.like(readable, { code: 'LAN_KEY_PERMISSIONS', message: `device key file ${file} is readable by group or others (mode 640)`, hint: `run: chmod 600 ${file}` })
  fs.writeFileSync(file, 'not a key\n', { mode: 0o600 })
  fs.chmodSync(file, 0o600)
  const bad = t.throws(() => readKeyFile(file), { instanceOf: NodeError })
  t.like(bad, { code: 'LAN_KEY_FILE', message: `device key file ${file} cannot be used: expected 64 lower-case hex characters and nothing else` })
  t.like(t.throws(() => readKeyFile(path.join(dir, 'none')), { instanceOf: NodeError }), { code: 'LAN_KEY_FILE' })
})

test('an agent file is written 0600 and read back; a readable or damaged one is refused by name', (t) => {
  const dataDir = tmpDir(t)
  writeAgentFile(dataDir, DEVICE as LanDevice & { key: string }, 1_700_000_000_000)
  const file = path.join(dataDir, 'agents', 'attic-router.json')
  t.is(fs.statSync(file).mode & 0o777, 0o600)
  t.deepEqual(readAgentFiles(dataDir), [{ file, device: { ...DEVICE, addedAt: 1_700_000_000_000 } }])
  t.throws(() => writeAgentFile(dataDir, DEVICE as LanDevice & { key: string }, 0), { code: 'EEXIST' })
  fs.chmodSync(file, 0o644)
  t.like(readAgentFiles(dataDir)[0], { file, error: { code: 'LAN_KEY_PERMISSIONS' } })
  fs.chmodSync(file, 0o600)
  fs.writeFileSync(file, JSON.stringify({ version: 1, name: 'attic-router', id: DEVICE.id, key: 'secret-value', rules: DEVICE.rules }))
  const [damaged] = readAgentFiles(dataDir)
  t.true('error' in damaged)
  if ('error' in damaged) {
    t.is(damaged.error.message, `agent file ${file} cannot be used: key: expected 64 lower-case hex characters (a 32-byte key)`)
    t.false(damaged.error.message.includes('secret-value'))
  }
})
