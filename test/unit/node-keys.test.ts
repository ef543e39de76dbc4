// One table of key names between config.json and the node YAML, and the proof that the
// node and `roost build` report one rule each in their own words.
import test from 'ava'
import type { ExecutionContext } from 'ava'
import { checkNodeConfig } from '../../node/config/check.ts'
import { bridgeProblems } from '../../node/config/bridge-rules.ts'
import { NodeError } from '../../node/errors.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { ConfigError } from '../../tools/config/errors.ts'
import { configFields, YAML_WORDS, yamlPath } from '../../tools/config/node-keys.ts'
import { parseNodeConfig } from '../../tools/config/node-config.ts'

const BOARD = loadBoard('x86-64-mini-pc')
const MIB = 1024 * 1024

// A bridge as the user writes it, one field a line, and as config.json holds it.
const YAML_BRIDGE = [
  'roles: [bridge]', //                          1
  'bridge:', //                                  2
  '  broker: mqtt://127.0.0.1:1883', //          3
  '  username: sensors', //                      4
  '  rules:', //                                 5
  '    - filter: home/#', //                     6
  '      feed: home', //                         7
  '      decoder: raw' //                        8
]
const JSON_BRIDGE = {
  broker: 'mqtt://127.0.0.1:1883',
  username: 'sensors',
  rules: [{ filter: 'home/#', feed: 'home', decoder: 'raw' }]
}

function nodeRefusal (t: ExecutionContext, config: unknown): NodeError {
  const err = t.throws(() => checkNodeConfig(config), { instanceOf: NodeError })
  if (!(err instanceof NodeError)) throw new Error('expected a NodeError')
  t.is(err.code, 'INVALID_CONFIG')
  return err
}

function yamlRefusal (t: ExecutionContext, lines: string[]): ConfigError {
  const err = t.throws(() => parseNodeConfig('node.yaml', lines.join('\n') + '\n', BOARD), { instanceOf: ConfigError })
  if (!(err instanceof ConfigError)) throw new Error('expected a ConfigError')
  t.is(err.code, 'INVALID_FIELD')
  return err
}

test('config.json paths become the YAML keys the user writes, list indices kept', (t) => {
  t.deepEqual(yamlPath(['bridge', 'passwordFile']), ['bridge', 'password_file'])
  t.deepEqual(yamlPath(['storagePeer', 'maxOpenCores']), ['storage_peer', 'max_open_cores'])
  t.deepEqual(yamlPath(['storagePeer', 'memtableBytes']), ['storage_peer', 'memtable_mb'])
  t.deepEqual(yamlPath(['bridge', 'commandTopics', 2]), ['bridge', 'command_topics', 2])
  t.deepEqual(yamlPath(['bridge', 'rules', 1, 'decoder']), ['bridge', 'rules', 1, 'decoder'])
  t.deepEqual(yamlPath(['trustedKeys', 0]), ['trusted_keys', 0])
  // No YAML key sets it: the board's default, under its config.json name.
  t.deepEqual(yamlPath(['storagePeer', 'findTimeoutMs']), ['storage_peer', 'findTimeoutMs'])
})

test('the YAML\'s words name the key as written and sizes in MiB', (t) => {
  t.is(YAML_WORDS.key(['bridge', 'passwordFile']), 'password_file')
  t.is(YAML_WORDS.key(['bridge', 'protocolVersion']), 'protocol_version')
  t.is(YAML_WORDS.amount(['storagePeer', 'memtableBytes'], 64 * MIB), '64')
  t.is(YAML_WORDS.amount(['storagePeer', 'maxOpenCores'], 4096), '4096')
})

test('every key of a node YAML file becomes its config.json field, sizes in bytes', (t) => {
  const yaml = {
    roles: ['bridge'],
    bootstrap: ['127.0.0.1:49737'],
    host: '127.0.0.1',
    trusted_keys: ['k1'],
    operator_key: 'k2',
    peers: ['k3'],
    storage: '/srv/roost',
    bridge: {
      broker: 'mqtts://broker.lan:8883',
      ca_file: '/etc/ca.pem',
      client_id: 'kitchen',
      username: 'sensors',
      password: 'p',
      password_file: '/etc/pw',
      protocol_version: 5,
      max_payload_bytes: 100,
      flush_ms: 5,
      max_batch: 7,
      rules: [{ filter: 'home/#', feed: 'home', decoder: 'raw' }],
      command_topics: ['home/set']
    },
    storage_peer: { budget_mb: 1, quota_mb: 2, quota_cores: 3, reserve_mb: 4, max_open_cores: 5, max_peer_cores: 6, memtable_mb: 7 }
  }
  t.deepEqual(configFields(yaml), {
    roles: ['bridge'],
    bootstrap: ['127.0.0.1:49737'],
    host: '127.0.0.1',
    trustedKeys: ['k1'],
    operatorKey: 'k2',
    peers: ['k3'],
    dataDir: '/srv/roost',
    bridge: {
      broker: 'mqtts://broker.lan:8883',
      caFile: '/etc/ca.pem',
      clientId: 'kitchen',
      username: 'sensors',
      password: 'p',
      passwordFile: '/etc/pw',
      protocolVersion: 5,
      maxPayloadBytes: 100,
      flushMs: 5,
      maxBatch: 7,
      rules: [{ filter: 'home/#', feed: 'home', decoder: 'raw' }],
      commandTopics: ['home/set']
    },
    storagePeer: { budgetBytes: MIB, quotaBytes: 2 * MIB, quotaCores: 3, reserveBytes: 4 * MIB, maxOpenCores: 5, maxPeerCores: 6, memtableBytes: 7 * MIB }
  })
})

test('password with a password file: one rule, refused by the node at passwordFile and by roost build at password_file\'s line', (t) => {
  const rule = bridgeProblems({ ...checkNodeConfig({ ...defaultConfig(BOARD), bridge: JSON_BRIDGE }).bridge!, password: 'hunter2', passwordFile: '/etc/roost/broker-password' })
  t.deepEqual(rule.map((p) => p.path), [['bridge', 'passwordFile']])

  const node = nodeRefusal(t, { ...defaultConfig(BOARD), bridge: { ...JSON_BRIDGE, password: 'hunter2', passwordFile: '/etc/roost/broker-password' } })
  t.is(node.message, 'config: bridge.passwordFile: expected either password or passwordFile, not both')

  const yaml = yamlRefusal(t, [...YAML_BRIDGE.slice(0, 4), '  password: hunter2', '  password_file: /etc/roost/broker-password', ...YAML_BRIDGE.slice(4)])
  t.is(yaml.message, 'node.yaml:6: bridge.password_file: expected either password or password_file, not both')
  t.is(yaml.hint, 'keep password_file and remove password, so the secret stays out of config.json')
  t.false(`${node.message} ${yaml.message} ${yaml.hint}`.includes('hunter2'))
})

test('a storage limit out of range: the node says it in bytes at memtableBytes, roost build in MiB at memtable_mb\'s line', (t) => {
  const node = nodeRefusal(t, { ...defaultConfig(BOARD), storagePeer: { memtableBytes: 65 * MIB } })
  t.is(node.message, `config: storagePeer.memtableBytes: expected at most 67108864 (64 MiB), got ${65 * MIB}`)
  const yaml = yamlRefusal(t, ['storage_peer:', '  quota_cores: 5', '  memtable_mb: 65'])
  t.is(yaml.message, 'node.yaml:3: storage_peer.memtable_mb: expected at most 64, got 65')
  t.is(yamlRefusal(t, ['storage_peer:', '  max_open_cores: 0']).message, 'node.yaml:2: storage_peer.max_open_cores: expected at least 1, got 0')
})

test('a broker scheme in capitals is refused by both, not let through by roost build and refused at boot', (t) => {
  const node = nodeRefusal(t, { ...defaultConfig(BOARD), bridge: { ...JSON_BRIDGE, broker: 'MQTT://127.0.0.1:1883' } })
  t.is(node.message, 'config: bridge.broker: expected an mqtt:// URL like mqtt://127.0.0.1:1883, got MQTT://')
  const yaml = yamlRefusal(t, YAML_BRIDGE.map((line) => line.replace('mqtt://', 'MQTT://')))
  t.is(yaml.message, 'node.yaml:3: bridge.broker: expected an mqtt:// URL like mqtt://127.0.0.1:1883, got MQTT://')
  t.is(yaml.hint, 'write the scheme in lower case: mqtt:// or mqtts://')
})
