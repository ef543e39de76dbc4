import test from 'ava'
import type { ExecutionContext } from 'ava'
import crypto from 'node:crypto'
import { formatBootstrap, parseBootstrap } from '../../node/config/bootstrap.ts'
import { checkNodeConfig } from '../../node/config/check.ts'
import { DEFAULTS, RELAY_DEFAULTS, ROLES, STORAGE_PEER_DEFAULTS } from '../../node/config/types.ts'
import { chooseBindHost } from '../../node/network/dht.ts'
import { NodeError } from '../../node/errors.ts'
import { decodeKey, encodeKey } from '../../node/identity/keys.ts'

const KEY_BYTES = crypto.randomBytes(32)
const KEY = encodeKey(KEY_BYTES)
const OTHER_KEY = encodeKey(crypto.randomBytes(32))

// A config.json as `roost build` writes it, before the node re-checks it.
const VALID_FILE = {
  version: 1,
  boardId: 'raspberry-pi-4b',
  dataDir: '/var/lib/roost',
  bootstrap: ['127.0.0.1:49737', 'dht.example.org:49738'],
  host: null,
  roles: ['storage', 'bridge'],
  trustedKeys: [KEY],
  operatorKey: OTHER_KEY,
  peers: [OTHER_KEY]
}

function nodeError (t: ExecutionContext, fn: () => unknown): NodeError {
  const err = t.throws(fn, { instanceOf: NodeError })
  if (!(err instanceof NodeError)) throw new Error('expected a NodeError')
  return err
}

test('a valid config is accepted with bootstrap nodes parsed and the ping interval defaulted', (t) => {
  t.deepEqual(checkNodeConfig(VALID_FILE), {
    version: 1,
    boardId: 'raspberry-pi-4b',
    dataDir: '/var/lib/roost',
    bootstrap: [{ host: '127.0.0.1', port: 49737 }, { host: 'dht.example.org', port: 49738 }],
    host: null,
    roles: ['storage', 'bridge'],
    trustedKeys: [KEY],
    operatorKey: OTHER_KEY,
    peers: [OTHER_KEY],
    pingIntervalMs: 30_000,
    bridge: null,
    storagePeer: STORAGE_PEER_DEFAULTS,
    lanIngest: null,
    relays: [],
    relay: RELAY_DEFAULTS,
    portMapping: true
  })
  t.is(DEFAULTS.pingIntervalMs, 30_000)
})

test('a config written by roost 0.1, which named the data folder storage, still reads', (t) => {
  const { dataDir, ...rest } = VALID_FILE
  t.is(checkNodeConfig({ ...rest, storage: dataDir }).dataDir, '/var/lib/roost')
  t.throws(() => checkNodeConfig(rest), { code: 'INVALID_CONFIG', message: 'config: dataDir: expected a folder path' })
})

test('storage peer limits default when absent, are kept when given, and a bad one is refused naming the field', (t) => {
  t.is(checkNodeConfig({ ...VALID_FILE, storagePeer: { quotaCores: 3 } }).storagePeer.quotaCores, 3)
  t.is(checkNodeConfig({ ...VALID_FILE, storagePeer: { quotaCores: 3 } }).storagePeer.budgetBytes, STORAGE_PEER_DEFAULTS.budgetBytes)
  const bad = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, storagePeer: { quotaBytes: -1 } }))
  t.is(bad.message, 'config: storagePeer.quotaBytes: expected a whole number ≥ 0')
  const unknown = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, storagePeer: { quota: 1 } }))
  t.regex(unknown.message, /^config: storagePeer\.quota: unknown field \(known: budgetBytes, /)
})

test('a ping interval in the config is kept', (t) => {
  t.is(checkNodeConfig({ ...VALID_FILE, pingIntervalMs: 1000 }).pingIntervalMs, 1000)
})

test('a config with another version is refused naming the version it got', (t) => {
  const err = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, version: 2 }))
  t.is(err.code, 'INVALID_CONFIG')
  t.is(err.message, 'config: version: expected 1, got 2')
  t.true(err.hint?.includes('roost build'), err.hint)
})

test('a config that is not an object is refused', (t) => {
  const err = nodeError(t, () => checkNodeConfig([VALID_FILE]))
  t.is(err.code, 'INVALID_CONFIG')
  t.is(err.message, 'config: (root): expected an object')
})

test('an unknown role is refused with the list of known roles', (t) => {
  const err = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, roles: ['storage', 'mqtt'] }))
  t.is(err.code, 'INVALID_CONFIG')
  t.is(err.message, `config: roles: unknown role "mqtt" (known: ${ROLES.join(', ')})`)
  t.true(err.message.includes('storage, bridge, relay, lan-ingest'))
})

test('a trusted key that is not a public key is refused as BAD_KEY naming the field and value', (t) => {
  const err = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, trustedKeys: [KEY, 'not-a-key'] }))
  t.is(err.code, 'BAD_KEY')
  t.is(err.message, 'trustedKeys: "not-a-key" is not a public key (expected 52 z-base-32 or 64 hex characters)')
})

test('a peer key that is one character short is refused as BAD_KEY', (t) => {
  const err = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, peers: [KEY.slice(1)] }))
  t.is(err.code, 'BAD_KEY')
  t.true(err.message.startsWith(`peers: "${KEY.slice(1)}"`), err.message)
})

test('a bootstrap node without a port is refused as BAD_BOOTSTRAP', (t) => {
  const err = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, bootstrap: ['localhost'] }))
  t.is(err.code, 'BAD_BOOTSTRAP')
  t.is(err.message, 'bootstrap "localhost" is not host:port')
  t.is(err.hint, 'example: --bootstrap 127.0.0.1:49737')
})

test('a ping interval below 100 ms is refused', (t) => {
  const err = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, pingIntervalMs: 5 }))
  t.is(err.code, 'INVALID_CONFIG')
  t.is(err.message, 'config: pingIntervalMs: expected a whole number of milliseconds ≥ 100')
})

test('a list field that is not a list of strings is refused naming the field', (t) => {
  const err = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, trustedKeys: KEY }))
  t.is(err.code, 'INVALID_CONFIG')
  t.is(err.message, 'config: trustedKeys: expected a list of strings')
})

test('parseBootstrap reads host:port and formatBootstrap writes it back', (t) => {
  t.deepEqual(parseBootstrap('127.0.0.1:49737'), { host: '127.0.0.1', port: 49737 })
  t.deepEqual(parseBootstrap('node1.hyperdht.org:49737'), { host: 'node1.hyperdht.org', port: 49737 })
  t.deepEqual(parseBootstrap('localhost:1'), { host: 'localhost', port: 1 })
  t.deepEqual(parseBootstrap('localhost:65535'), { host: 'localhost', port: 65535 })
  t.is(formatBootstrap(parseBootstrap('10.0.0.2:8080')), '10.0.0.2:8080')
})

test('parseBootstrap refuses anything that is not host:port with a port from 1 to 65535', (t) => {
  for (const value of ['localhost', 'localhost:', ':49737', 'localhost:0', 'localhost:65536', 'localhost:123456',
    'localhost:port', 'local host:80', 'a:b:80', '']) {
    const err = nodeError(t, () => parseBootstrap(value))
    t.is(err.code, 'BAD_BOOTSTRAP', value)
    t.is(err.message, `bootstrap "${value}" is not host:port`)
  }
})

test('a loopback-only bootstrap makes the DHT bind to 127.0.0.1', (t) => {
  t.is(chooseBindHost([{ host: '127.0.0.1', port: 1 }], null), '127.0.0.1')
  t.is(chooseBindHost([{ host: 'localhost', port: 1 }, { host: '127.0.0.5', port: 2 }], null), '127.0.0.1')
})

test('a mixed or public bootstrap leaves the bind address to HyperDHT', (t) => {
  t.is(chooseBindHost([{ host: '127.0.0.1', port: 1 }, { host: '192.168.1.10', port: 2 }], null), undefined)
  t.is(chooseBindHost([{ host: 'node1.hyperdht.org', port: 49737 }], null), undefined)
  t.is(chooseBindHost([], null), undefined)
})

test('an explicit bind host wins over the bootstrap', (t) => {
  t.is(chooseBindHost([{ host: '127.0.0.1', port: 1 }], '0.0.0.0'), '0.0.0.0')
  t.is(chooseBindHost([{ host: 'node1.hyperdht.org', port: 49737 }], '192.168.1.10'), '192.168.1.10')
})

test('decodeKey accepts the same key in z-base-32 and in hex', (t) => {
  t.is(KEY.length, 52)
  t.deepEqual(Buffer.from(decodeKey('key', KEY)), KEY_BYTES)
  t.deepEqual(Buffer.from(decodeKey('key', KEY_BYTES.toString('hex'))), KEY_BYTES)
  t.deepEqual(Buffer.from(decodeKey('key', KEY_BYTES.toString('hex').toUpperCase())), KEY_BYTES)
})

test('encodeKey round-trips through decodeKey', (t) => {
  t.is(encodeKey(decodeKey('key', KEY)), KEY)
  t.is(encodeKey(decodeKey('key', KEY_BYTES.toString('hex'))), KEY)
  t.regex(KEY, /^[13-9a-km-uw-z]{52}$/)
})

test('decodeKey refuses a string that is neither z-base-32 nor hex of 32 bytes, naming what it was', (t) => {
  const hex = KEY_BYTES.toString('hex')
  for (const value of ['', KEY + 'y', KEY.slice(1), KEY.slice(1) + 'l', hex.slice(2), hex + '00', 'g'.repeat(64)]) {
    const err = nodeError(t, () => decodeKey('--trust', value))
    t.is(err.code, 'BAD_KEY', value)
    t.is(err.message, `--trust: "${value}" is not a public key (expected 52 z-base-32 or 64 hex characters)`)
  }
})

// A config.json that `roost build` wrote before protocolVersion and passwordFile existed.
const BRIDGE = { broker: 'mqtt://127.0.0.1:1883', rules: [{ filter: 'home/#', feed: 'home', decoder: 'raw' }] }

test('a bridge without protocolVersion or passwordFile speaks MQTT 3.1.1 with no password file', (t) => {
  const bridge = checkNodeConfig({ ...VALID_FILE, bridge: BRIDGE }).bridge
  t.is(bridge?.protocolVersion, 4)
  t.is(bridge?.passwordFile, null)
})

test('a bridge protocolVersion of 5 is kept; anything but 4 or 5 is refused naming the field and both values', (t) => {
  t.is(checkNodeConfig({ ...VALID_FILE, bridge: { ...BRIDGE, protocolVersion: 5 } }).bridge?.protocolVersion, 5)
  for (const protocolVersion of [3, '5', 5.5]) {
    const err = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, bridge: { ...BRIDGE, protocolVersion } }))
    t.is(err.code, 'INVALID_CONFIG')
    t.is(err.message, `config: bridge.protocolVersion: expected 4 (MQTT 3.1.1) or 5 (MQTT 5), got ${JSON.stringify(protocolVersion)}`)
  }
})

test('a bridge passwordFile is kept; with a password as well it is refused', (t) => {
  const withFile = { ...BRIDGE, username: 'sensors', passwordFile: '/etc/roost/broker-password' }
  t.is(checkNodeConfig({ ...VALID_FILE, bridge: withFile }).bridge?.passwordFile, '/etc/roost/broker-password')
  const err = nodeError(t, () => checkNodeConfig({ ...VALID_FILE, bridge: { ...withFile, password: 'hunter2' } }))
  t.is(err.message, 'config: bridge.passwordFile: expected either password or passwordFile, not both')
  t.false(err.message.includes('hunter2'))
})
