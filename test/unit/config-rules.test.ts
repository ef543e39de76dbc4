// The node config's rules (node/config/), written once and called by the node's check
// and by `roost build`: pure functions that return every problem at a config.json path.
import test from 'ava'
import { bridgeProblems, type BridgeFields } from '../../node/config/bridge-rules.ts'
import { bootstrapProblems, keyProblems, roleProblems, dataDirProblems, storagePeerProblems } from '../../node/config/node-rules.ts'
import type { FieldWords, Problem } from '../../node/config/problems.ts'
import { BRIDGE_DEFAULTS, STORAGE_PEER_DEFAULTS } from '../../node/config/types.ts'
import { encodeKey } from '../../node/identity/keys.ts'

const MIB = 1024 * 1024
const KEY = encodeKey(new Uint8Array(32).fill(7))

// A bridge as config.json holds it, with nothing a rule refuses.
const BRIDGE: BridgeFields = {
  broker: 'mqtt://127.0.0.1:1883',
  caFile: null,
  clientId: null,
  username: null,
  password: null,
  ...BRIDGE_DEFAULTS,
  rules: [{ filter: 'home/+/temperature', feed: 'climate', decoder: 'number' }],
  commandTopics: []
}

// Each problem as one line: where, why, and the hint when there is one.
function lines (problems: Problem[]): string[] {
  return problems.map((p) => `${p.path.join('.')}: ${p.reason}${p.hint === undefined ? '' : ` (${p.hint})`}${p.showsValue === true ? ' +value' : ''}`)
}

test('a bridge within every rule has no problems, plain or over TLS with a password file', (t) => {
  t.deepEqual(bridgeProblems(BRIDGE), [])
  t.deepEqual(bridgeProblems({
    ...BRIDGE,
    broker: 'mqtts://user@broker.lan:8883',
    caFile: '/etc/roost/broker-ca.pem',
    username: 'sensors',
    passwordFile: '/etc/roost/broker-password',
    protocolVersion: 5,
    commandTopics: ['home/heater/set'],
    flushMs: 0
  }), [])
})

test('a broker URL needs mqtt:// or mqtts:// in lower case and a host, and is never echoed', (t) => {
  const broker = (url: string): string[] => lines(bridgeProblems({ ...BRIDGE, broker: url }))
  t.deepEqual(broker('127.0.0.1:1883'), ['bridge.broker: expected an mqtt:// URL like mqtt://127.0.0.1:1883, got no scheme (write it as mqtt://HOST:PORT)'])
  t.deepEqual(broker('http://user:hunter2@broker.lan'), ['bridge.broker: expected an mqtt:// URL like mqtt://127.0.0.1:1883, got http://'])
  t.deepEqual(broker('MQTTS://broker.lan:8883'), ['bridge.broker: expected an mqtt:// URL like mqtt://127.0.0.1:1883, got MQTTS:// (write the scheme in lower case: mqtt:// or mqtts://)'])
  t.deepEqual(broker('mqtt:///home'), ['bridge.broker: expected an mqtt:// URL with a host, like mqtt://127.0.0.1:1883'])
  t.deepEqual(broker('mqtt://\tbroker.lan'), ['bridge.broker: expected an mqtt:// URL with a host, like mqtt://127.0.0.1:1883'])
  t.deepEqual(broker('mqtt://broker lan'), ['bridge.broker: expected an mqtt:// URL like mqtt://127.0.0.1:1883, got one that does not parse'])
})

test('a CA file goes with an mqtts:// broker and an absolute path', (t) => {
  t.deepEqual(lines(bridgeProblems({ ...BRIDGE, caFile: '/etc/roost/broker-ca.pem' })),
    ['bridge.caFile: a CA file is used only with an mqtts:// broker (write the broker as mqtts://HOST:PORT, or remove caFile)'])
  t.deepEqual(lines(bridgeProblems({ ...BRIDGE, broker: 'mqtts://broker.lan:8883', caFile: 'broker-ca.pem' })),
    ['bridge.caFile: expected an absolute path on the board, like /etc/roost/broker-ca.pem'])
})

test('a password or password file needs a username, and the two exclude each other', (t) => {
  const login = (fields: Partial<BridgeFields>): string[] => lines(bridgeProblems({ ...BRIDGE, ...fields }))
  t.deepEqual(login({ password: 'hunter2' }), ['bridge.password: a password needs a username (MQTT sends a password only with one) (add username: next to the password)'])
  t.deepEqual(login({ username: 'sensors', password: 'hunter2', passwordFile: '/etc/roost/broker-password' }),
    ['bridge.passwordFile: expected either password or passwordFile, not both (keep passwordFile and remove password, so the secret stays out of config.json)'])
  t.deepEqual(login({ passwordFile: '/etc/roost/broker-password' }),
    ['bridge.passwordFile: a password file needs a username (MQTT sends a password only with one) (add username: next to passwordFile)'])
  t.deepEqual(login({ username: 'sensors', passwordFile: 'broker-password' }),
    ['bridge.passwordFile: expected an absolute path on the board, like /etc/roost/broker-password'])
  t.deepEqual(login({ username: 'sensors', password: 'hunter2' }), [])
})

test('the MQTT version is 4 or 5, and the value found is shown', (t) => {
  for (const protocolVersion of [3, '5', 5.5, null]) {
    t.deepEqual(lines(bridgeProblems({ ...BRIDGE, protocolVersion })),
      ['bridge.protocolVersion: expected 4 (MQTT 3.1.1) or 5 (MQTT 5) (write protocolVersion: 5 for MQTT 5; leave it out for MQTT 3.1.1) +value'])
  }
  t.deepEqual(bridgeProblems({ ...BRIDGE, protocolVersion: 4 }), [])
})

test('mapping rules and command topics are reported at their index in the list', (t) => {
  const problems = bridgeProblems({
    ...BRIDGE,
    rules: [...BRIDGE.rules, { filter: 'home/+/humidity', feed: 'climate', decoder: 'json' }],
    commandTopics: ['home/heater/set', 'home/#/set']
  })
  t.deepEqual(lines(problems), [
    'bridge.rules.1.decoder: feed "climate" is written with decoder "number" by rule 1; one feed has one decoder',
    'bridge.commandTopics.1: "#" must be a whole level and the last one (e.g. home/#)'
  ])
})

test('the batching limits have their least values, shown with the value found', (t) => {
  t.deepEqual(lines(bridgeProblems({ ...BRIDGE, maxPayloadBytes: 0, flushMs: -1, maxBatch: 0 })), [
    'bridge.maxPayloadBytes: expected at least 1 +value',
    'bridge.flushMs: expected at least 0 +value',
    'bridge.maxBatch: expected at least 1 +value'
  ])
})

test('reasons and hints name fields in the words the caller gives, every other word the same', (t) => {
  const words: FieldWords = { key: (path) => `<${path.join('.')}>`, amount: (path, value) => `${value}@${path.join('.')}` }
  const problems = bridgeProblems({ ...BRIDGE, username: 'sensors', password: 'hunter2', passwordFile: '/etc/roost/broker-password', maxBatch: 0 }, words)
  t.deepEqual(lines(problems), [
    'bridge.passwordFile: expected either <bridge.password> or <bridge.passwordFile>, not both (keep <bridge.passwordFile> and remove <bridge.password>, so the secret stays out of config.json)',
    'bridge.maxBatch: expected at least 1@bridge.maxBatch +value'
  ])
})

test('storage peer limits: the defaults pass; sizes are reported in bytes with MiB beside them', (t) => {
  t.deepEqual(storagePeerProblems(STORAGE_PEER_DEFAULTS), [])
  t.deepEqual(storagePeerProblems({ ...STORAGE_PEER_DEFAULTS, reserveBytes: 0, maxOpenCores: 4096, memtableBytes: 64 * MIB }), [])
  const problems = storagePeerProblems({ ...STORAGE_PEER_DEFAULTS, quotaBytes: 1000, quotaCores: 0, maxOpenCores: 4097, maxPeerCores: 0, memtableBytes: 65 * MIB })
  t.deepEqual(lines(problems), [
    'storagePeer.quotaBytes: expected at least 1048576 (1 MiB) +value',
    'storagePeer.quotaCores: expected at least 1 +value',
    'storagePeer.maxOpenCores: expected at most 4096 +value',
    'storagePeer.maxPeerCores: expected at least 1 +value',
    'storagePeer.memtableBytes: expected at most 67108864 (64 MiB) +value'
  ])
})

test('a role listed twice is reported at each repeat', (t) => {
  t.deepEqual(roleProblems(['storage', 'bridge']), [])
  t.deepEqual(lines(roleProblems(['storage', 'bridge', 'storage', 'storage'])),
    ['roles.2: expected each role once +value', 'roles.3: expected each role once +value'])
})

test('bootstrap nodes are host:port with a port from 1 to 65535', (t) => {
  t.deepEqual(bootstrapProblems(['127.0.0.1:49737', 'node1.hyperdht.org:65535']), [])
  t.deepEqual(lines(bootstrapProblems(['127.0.0.1:49737', 'localhost', 'localhost:0', 'host:65536'])), [
    'bootstrap.1: expected host:port (e.g. 127.0.0.1:49737) +value',
    'bootstrap.2: expected host:port (e.g. 127.0.0.1:49737) +value',
    'bootstrap.3: expected host:port (e.g. 127.0.0.1:49737) +value'
  ])
})

test('trusted, operator and peer keys are public keys in z-base-32 or hex', (t) => {
  const hex = Buffer.alloc(32, 7).toString('hex')
  t.deepEqual(keyProblems({ trustedKeys: [KEY, hex], operatorKey: null, peers: [] }), [])
  t.deepEqual(lines(keyProblems({ trustedKeys: [KEY, 'abc123'], operatorKey: KEY.slice(1), peers: [hex.slice(2)] })), [
    'trustedKeys.1: expected a public key (52 z-base-32 or 64 hex characters) +value',
    'operatorKey: expected a public key (52 z-base-32 or 64 hex characters) +value',
    'peers.0: expected a public key (52 z-base-32 or 64 hex characters) +value'
  ])
})

test('the storage folder is an absolute path on the device', (t) => {
  t.deepEqual(dataDirProblems('/var/lib/roost'), [])
  t.deepEqual(lines(dataDirProblems('var/lib/roost')), ['dataDir: expected an absolute path on the device +value'])
})
