// The relays a node goes through (relays:) and the relay role's section (relay:): YAML
// in the user's words and units, config.json as the node reads it, and the node's own
// check of what the build wrote.
import test from 'ava'
import { checkNodeConfig } from '../../node/config/check.ts'
import { RELAY_DEFAULTS } from '../../node/config/types.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { ConfigError } from '../../tools/config/errors.ts'
import { parseNodeConfig } from '../../tools/config/node-config.ts'

const BOARD = loadBoard('x86-64-mini-pc')
const RELAY = encodeKey(new Uint8Array(32).fill(3))
const DEVICE = encodeKey(new Uint8Array(32).fill(4))

function refused (yaml: string): ConfigError {
  try {
    parseNodeConfig('node.yaml', yaml, BOARD)
  } catch (err) {
    if (err instanceof ConfigError) return err
    throw err
  }
  throw new Error('expected the config to be refused')
}

test('relays and the relay section become config.json\'s relays and relay, rates in bytes', (t) => {
  const config = parseNodeConfig('node.yaml', `roles: [relay]\nrelays: [${RELAY}]\nrelay:\n  sessions_per_peer: 4\n  kib_per_second_per_peer: 512\n  keys: [${DEVICE}]\n`, BOARD)
  t.deepEqual(config.relays, [RELAY])
  t.deepEqual(config.relay, { sessionsPerPeer: 4, bytesPerSecondPerPeer: 512 * 1024, keys: [DEVICE] })
  const checked = checkNodeConfig(config)
  t.deepEqual(checked.relay, { sessionsPerPeer: 4, bytesPerSecondPerPeer: 512 * 1024, keys: [DEVICE] })
})

test('a config without relays (as every config before them) goes through none and relays with the defaults', (t) => {
  const checked = checkNodeConfig({ ...defaultConfig(BOARD), dataDir: '/srv/roost' })
  t.deepEqual(checked.relays, [])
  t.deepEqual(checked.relay, RELAY_DEFAULTS)
  t.deepEqual(checkNodeConfig({ ...defaultConfig(BOARD), relay: { sessionsPerPeer: 2 } }).relay, { ...RELAY_DEFAULTS, sessionsPerPeer: 2 })
})

test('a relay that is not a key, or named twice, is refused at its line', (t) => {
  const bad = refused(`relays:\n  - ${RELAY}\n  - not-a-key\n`)
  t.is(bad.message, 'node.yaml:3: relays.1: expected a relay key (52 z-base-32 or 64 hex characters, as the relay node logs it as relayKey), got "not-a-key"')
  t.regex(refused(`relays: [${RELAY}, ${RELAY}]\n`).message, /^node\.yaml:1: relays\.1: expected each relay once/)
})

test('relay limits out of range are refused in the YAML\'s units, at their lines', (t) => {
  t.regex(refused('roles: [relay]\nrelay:\n  sessions_per_peer: 0\n').message, /^node\.yaml:3: relay\.sessions_per_peer: expected at least 1, got 0$/)
  t.regex(refused('roles: [relay]\nrelay:\n  kib_per_second_per_peer: 0\n').message, /^node\.yaml:3: relay\.kib_per_second_per_peer: expected at least 1, got 0$/)
  t.regex(refused('roles: [relay]\nrelay:\n  keys: [abc]\n').message, /^node\.yaml:3: relay\.keys\.0: expected a public key/)
  t.regex(refused('roles: [relay]\nrelay:\n  speed: 3\n').message, /^node\.yaml:3: relay\.speed: unknown field/)
})

test('a relay section without the relay role is reported at the roles line, or at the section when the board\'s roles lack it', (t) => {
  const err = refused('roles: [storage]\nrelay:\n  sessions_per_peer: 2\n')
  t.is(err.message, 'node.yaml:1: roles: expected relay among the roles, as the file has a relay section, got ["storage"]')
  t.is(err.hint, 'add relay to roles, or remove the relay section')
  const pi = loadBoard('raspberry-pi-4b')
  t.false(pi.defaultRoles.includes('relay'))
  t.throws(() => parseNodeConfig('node.yaml', 'relay:\n  sessions_per_peer: 2\n', pi), { message: /^node\.yaml:1: relay: the relay role is not among the default roles of raspberry-pi-4b/ })
})

test('the node refuses a config.json with a bad relay or relay limit, naming the field', (t) => {
  const config = { ...defaultConfig(BOARD), dataDir: '/srv/roost' }
  t.throws(() => checkNodeConfig({ ...config, relays: ['x'] }), { code: 'INVALID_CONFIG', message: /^config: relays\.0: expected a relay key/ })
  t.throws(() => checkNodeConfig({ ...config, relay: { bytesPerSecondPerPeer: 10 } }), { code: 'INVALID_CONFIG', message: 'config: relay.bytesPerSecondPerPeer: expected at least 1024, got 10' })
  t.throws(() => checkNodeConfig({ ...config, relay: { limit: 1 } }), { code: 'INVALID_CONFIG', message: /^config: relay\.limit: unknown field/ })
})
