import test from 'ava'
import type { ExecutionContext } from 'ava'
import fs from 'node:fs'
import path from 'node:path'
import { checkNodeConfig } from '../../node/config/check.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { defaultConfig } from '../../targets/artifact.ts'
import { loadBoard } from '../../tools/config/boards.ts'
import { ConfigError } from '../../tools/config/errors.ts'
import { loadNodeConfig, parseNodeConfig } from '../../tools/config/node-config.ts'
import { roost, type CliResult } from '../helpers/cli.ts'
import { tmpDir } from '../helpers/tmp.ts'

const BOARD = loadBoard('x86-64-mini-pc')
const KEY = encodeKey(new Uint8Array(32).fill(7))

// A valid node config, one field per line, so each test can break one line and know
// exactly which line the error must name.
const VALID_CONFIG = [
  'roles: [storage, bridge]', //               1
  'bootstrap: [127.0.0.1:49737]', //           2
  'host: 127.0.0.1', //                        3
  `trusted_keys: [${KEY}]`, //                 4
  'storage: /srv/roost', //                    5
  'bridge:', //                                6
  '  broker: mqtt://127.0.0.1:1883', //        7
  '  client_id: roost-kitchen', //             8
  '  username: sensors', //                    9
  '  password: secret', //                    10
  '  rules:', //                              11
  '    - filter: home/+/temperature', //      12
  '      feed: climate', //                   13
  '      decoder: number', //                 14
  '    - filter: home/+/humidity', //         15
  '      feed: climate', //                   16
  '      decoder: number', //                 17
  '  command_topics: [home/heater/set]' //    18
]

function withLines (changes: Record<number, string | null>, lines: string[] = VALID_CONFIG): string[] {
  return lines.flatMap((line, i) => {
    const change = changes[i + 1]
    if (change === undefined) return [line]
    return change === null ? [] : change.split('\n')
  })
}

function writeConfig (t: ExecutionContext, lines: string[], dir = tmpDir(t)): string {
  const file = path.join(dir, 'node.yaml')
  fs.writeFileSync(file, lines.join('\n') + '\n')
  return file
}

// The message of the ConfigError that loading `lines` throws, with `file` for the path.
function rejection (t: ExecutionContext, lines: string[]): { message: string, hint: string | undefined, line: number | undefined, file: string } {
  const file = writeConfig(t, lines)
  const err = t.throws(() => loadNodeConfig(file, BOARD), { instanceOf: ConfigError })
  if (!(err instanceof ConfigError)) throw new Error('expected a ConfigError')
  t.is(err.code, 'INVALID_FIELD')
  return { message: err.message, hint: err.hint, line: err.line, file }
}

test('a valid node config is the board\'s default config with the file\'s values over it', (t) => {
  const config = loadNodeConfig(writeConfig(t, VALID_CONFIG), BOARD)
  t.deepEqual(config, {
    ...defaultConfig(BOARD),
    roles: ['storage', 'bridge'],
    bootstrap: ['127.0.0.1:49737'],
    host: '127.0.0.1',
    trustedKeys: [KEY],
    dataDir: '/srv/roost',
    bridge: {
      broker: 'mqtt://127.0.0.1:1883',
      caFile: null,
      clientId: 'roost-kitchen',
      username: 'sensors',
      password: 'secret',
      passwordFile: null,
      protocolVersion: 4,
      rules: [
        { filter: 'home/+/temperature', feed: 'climate', decoder: 'number' },
        { filter: 'home/+/humidity', feed: 'climate', decoder: 'number' }
      ],
      maxPayloadBytes: 65_536,
      commandTopics: ['home/heater/set'],
      flushMs: 10,
      maxBatch: 512
    }
  })
  // What the build writes, the node accepts.
  t.notThrows(() => checkNodeConfig(config))
})

test('an empty node config is the board\'s default config', (t) => {
  t.deepEqual(parseNodeConfig('node.yaml', '{}\n', BOARD), defaultConfig(BOARD))
})

test('a wrong type names the file, line, field, what was expected and what was got', (t) => {
  const { message, line } = rejection(t, withLines({ 2: 'bootstrap: 127.0.0.1:49737' }))
  t.true(message.endsWith(':2: bootstrap: expected a list, got "127.0.0.1:49737"'), message)
  t.is(line, 2)
})

test('a wrong type in the bridge section is reported at its own line with a dotted field', (t) => {
  const { message, file } = rejection(t, withLines({ 10: '  max_batch: lots' }))
  t.is(message, `${file}:10: bridge.max_batch: expected a number, got "lots"`)
})

test('an unknown key is reported at its own line with the valid fields of its section', (t) => {
  const { message, file } = rejection(t, withLines({ 13: '      feed: climate\n      qos: 1' }))
  t.is(message, `${file}:14: bridge.rules.0.qos: unknown field (valid fields: filter, feed, decoder)`)
})

test('an unknown top-level key lists the fields a node config has', (t) => {
  const { message, file } = rejection(t, [...VALID_CONFIG, 'colour: red'])
  t.is(message, `${file}:19: colour: unknown field (valid fields: roles, bootstrap, host, trusted_keys, operator_key, peers, storage, bridge, storage_peer, lan_ingest, relays, port_mapping, relay)`)
})

test('storage_peer limits are the node\'s storagePeer in bytes, over the board\'s budget', (t) => {
  const config = parseNodeConfig('node.yaml', 'storage_peer:\n  quota_mb: 100\n  quota_cores: 5\n  max_open_cores: 8\n  memtable_mb: 8\n', BOARD)
  t.deepEqual(config.storagePeer, {
    budgetBytes: BOARD.storageBudgetMb! * 1024 * 1024,
    quotaBytes: 100 * 1024 * 1024,
    quotaCores: 5,
    maxOpenCores: 8,
    memtableBytes: 8 * 1024 * 1024
  })
  t.is(checkNodeConfig(config).storagePeer.quotaCores, 5)
})

test('memtables are 16 MiB on boards with a 256 MiB memory budget and 4 MiB on smaller ones', (t) => {
  const memtable = (id: string): number => checkNodeConfig({ ...defaultConfig(loadBoard(id)), dataDir: '/tmp/x' }).storagePeer.memtableBytes
  t.is(loadBoard('x86-64-mini-pc').memoryBudgetMb, 256)
  t.is(memtable('x86-64-mini-pc'), 16 * 1024 * 1024)
  t.true(loadBoard('raspberry-pi-4b').memoryBudgetMb < 256)
  t.is(memtable('raspberry-pi-4b'), 4 * 1024 * 1024)
  t.is(memtable('raspberry-pi-zero-2-w'), 4 * 1024 * 1024)
  const tiny = t.throws(() => checkNodeConfig({ ...defaultConfig(loadBoard('raspberry-pi-4b')), storagePeer: { memtableBytes: 1000 } }))
  t.regex(tiny!.message, /storagePeer\.memtableBytes: expected at least 1048576/)
})

test('a storage_peer limit that is not a positive whole number is refused at its line', (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'node.yaml')
  fs.writeFileSync(file, 'storage_peer:\n  quota_cores: 0\n')
  const err = t.throws(() => loadNodeConfig(file, BOARD)) as ConfigError
  t.regex(err.message, /node\.yaml:2: storage_peer\.quota_cores: /)
})

test('a topic filter with "#" before the last level is reported at the filter line', (t) => {
  const { message, file } = rejection(t, withLines({ 15: '    - filter: home/#/x' }))
  t.is(message, `${file}:15: bridge.rules.1.filter: "#" must be a whole level and the last one (e.g. home/#)`)
})

test('an unknown decoder is reported at its line with the decoders there are', (t) => {
  const { message, file } = rejection(t, withLines({ 14: '      decoder: float' }))
  t.is(message, `${file}:14: bridge.rules.0.decoder: expected one of json, number, text, raw, got "float"`)
})

test('two rules writing one feed with different decoders are reported at the second decoder', (t) => {
  const { message, file } = rejection(t, withLines({ 17: '      decoder: json' }))
  t.is(message, `${file}:17: bridge.rules.1.decoder: feed "climate" is written with decoder "number" by rule 1; one feed has one decoder`)
})

test('an mqtts:// broker with a CA file is the node\'s broker and caFile', (t) => {
  const config = loadNodeConfig(writeConfig(t, withLines({ 7: '  broker: mqtts://broker.lan:8883\n  ca_file: /etc/roost/broker-ca.pem' })), BOARD)
  t.is(config.bridge?.broker, 'mqtts://broker.lan:8883')
  t.is(config.bridge?.caFile, '/etc/roost/broker-ca.pem')
  t.notThrows(() => checkNodeConfig(config))
})

test('a CA file with an mqtt:// broker is refused at its line', (t) => {
  const { message, hint, file } = rejection(t, withLines({ 7: '  broker: mqtt://127.0.0.1:1883\n  ca_file: /etc/roost/broker-ca.pem' }))
  t.is(message, `${file}:8: bridge.ca_file: a CA file is used only with an mqtts:// broker`)
  t.is(hint, 'write the broker as mqtts://HOST:PORT, or remove ca_file')
})

test('a relative CA file is refused at its line', (t) => {
  const { message, file } = rejection(t, withLines({ 7: '  broker: mqtts://broker.lan:8883\n  ca_file: broker-ca.pem' }))
  t.is(message, `${file}:8: bridge.ca_file: expected an absolute path on the board, like /etc/roost/broker-ca.pem`)
})

test('protocol_version: 5 makes the node speak MQTT 5', (t) => {
  const config = loadNodeConfig(writeConfig(t, withLines({ 7: '  broker: mqtt://127.0.0.1:1883\n  protocol_version: 5' })), BOARD)
  t.is(config.bridge?.protocolVersion, 5)
  t.notThrows(() => checkNodeConfig(config))
})

test('a protocol_version other than 4 or 5 is refused at its line naming both', (t) => {
  for (const [value, got] of [['3', '3'], ['3.1.1', '"3.1.1"'], ['"5"', '"5"']]) {
    const { message, hint, file } = rejection(t, withLines({ 7: `  broker: mqtt://127.0.0.1:1883\n  protocol_version: ${value}` }))
    t.is(message, `${file}:8: bridge.protocol_version: expected 4 (MQTT 3.1.1) or 5 (MQTT 5), got ${got}`)
    t.is(hint, 'write protocol_version: 5 for MQTT 5; leave it out for MQTT 3.1.1')
  }
})

test('password_file with a username is the node\'s passwordFile, and no password is in the config', (t) => {
  const config = loadNodeConfig(writeConfig(t, withLines({ 10: '  password_file: /etc/roost/broker-password' })), BOARD)
  t.is(config.bridge?.passwordFile, '/etc/roost/broker-password')
  t.is(config.bridge?.password, null)
  t.notThrows(() => checkNodeConfig(config))
})

test('password_file next to a password, without a username, or relative is refused at its line', (t) => {
  const both = rejection(t, withLines({ 10: '  password: secret\n  password_file: /etc/roost/broker-password' }))
  t.is(both.message, `${both.file}:11: bridge.password_file: expected either password or password_file, not both`)
  t.false(both.message.includes('secret'))
  const noUser = rejection(t, withLines({ 9: null, 10: '  password_file: /etc/roost/broker-password' }))
  t.is(noUser.message, `${noUser.file}:9: bridge.password_file: a password file needs a username (MQTT sends a password only with one)`)
  t.is(noUser.hint, 'add username: next to password_file')
  const relative = rejection(t, withLines({ 10: '  password_file: broker-password' }))
  t.is(relative.message, `${relative.file}:10: bridge.password_file: expected an absolute path on the board, like /etc/roost/broker-password`)
})

test('a broker without a scheme is refused at its line', (t) => {
  const { message, file } = rejection(t, withLines({ 7: '  broker: 127.0.0.1:1883' }))
  t.is(message, `${file}:7: bridge.broker: expected an mqtt:// URL like mqtt://127.0.0.1:1883, got no scheme`)
})

test('a malformed trusted key is reported at its line, echoing only the value given', (t) => {
  const { message, file } = rejection(t, withLines({ 4: `trusted_keys:\n  - ${KEY}\n  - abc123` }))
  t.is(message, `${file}:6: trusted_keys.1: expected a public key (52 z-base-32 or 64 hex characters), got "abc123"`)
})

test('a key one character short is reported at its line, shortened like any long value', (t) => {
  const { message, file } = rejection(t, [...VALID_CONFIG, `operator_key: ${KEY.slice(1)}`])
  t.is(message, `${file}:19: operator_key: expected a public key (52 z-base-32 or 64 hex characters), got "${KEY.slice(1, 39)}…`)
})

test('a bootstrap entry that is not host:port is reported at the bootstrap line', (t) => {
  const { message, file } = rejection(t, withLines({ 2: 'bootstrap: [127.0.0.1:49737, 127.0.0.1]' }))
  t.is(message, `${file}:2: bootstrap.1: expected host:port (e.g. 127.0.0.1:49737), got "127.0.0.1"`)
})

test('a bridge section without the bridge role is reported at the roles line', (t) => {
  const { message, hint, file } = rejection(t, withLines({ 1: 'roles: [storage]' }))
  t.is(message, `${file}:1: roles: expected bridge among the roles, as the file has a bridge section, got ["storage"]`)
  t.is(hint, 'add bridge to roles, or remove the bridge section')
})

test('the bridge role without a bridge section is reported at the roles line', (t) => {
  const { message, file } = rejection(t, VALID_CONFIG.slice(0, 5))
  t.is(message, `${file}:1: roles: the bridge role needs a bridge section (broker and rules)`)
})

test('a bridge section without rules is reported at the bridge line', (t) => {
  const { message, file } = rejection(t, VALID_CONFIG.slice(0, 10))
  t.is(message, `${file}:6: bridge.rules: required field is missing`)
})

test('a password that YAML reads as a number is refused without showing it', (t) => {
  const { message, hint, file } = rejection(t, withLines({ 10: '  password: 123456' }))
  t.is(message, `${file}:10: bridge.password: expected a string, got a whole number (not shown)`)
  t.is(hint, 'put the value in quotes to make it text')
})

test('a relative storage path is refused', (t) => {
  const { message, file } = rejection(t, withLines({ 5: 'storage: var/lib/roost' }))
  t.is(message, `${file}:5: storage: expected an absolute path on the device, got "var/lib/roost"`)
})

test('a missing config file is reported as not found', (t) => {
  const file = path.join(tmpDir(t), 'nope.yaml')
  const err = t.throws(() => loadNodeConfig(file, BOARD), { instanceOf: ConfigError })
  t.is(err?.message, `${file}: no such file or folder`)
})

function build (t: ExecutionContext, configLines: string[]): Promise<CliResult & { config: string, out: string }> {
  const dir = tmpDir(t)
  const config = writeConfig(t, configLines, dir)
  const out = path.join(dir, 'art')
  return roost(['build', '--board', 'x86-64-mini-pc', '--config', config, '--out', out], { home: dir })
    .then((result) => ({ ...result, config, out }))
}

test('roost build --config with a bad file exits 1 with one INVALID_FIELD line and writes nothing', async (t) => {
  const result = await build(t, withLines({ 17: '      decoder: json' }))
  t.is(result.code, 1, result.stderr)
  t.is(result.stdout, '')
  t.is(result.stderr,
    `INVALID_FIELD: ${result.config}:17: bridge.rules.1.decoder: feed "climate" is written with decoder "number" by rule 1; one feed has one decoder\n`)
  t.false(fs.existsSync(result.out), 'a refused config left the artifact folder behind')
  t.deepEqual(fs.readdirSync(path.dirname(result.out)), ['node.yaml'])
})

test('roost build --config writes the validated config into the artifact', async (t) => {
  const result = await build(t, VALID_CONFIG)
  t.is(result.code, 0, result.stderr)
  t.is(result.stderr, '')
  t.true(result.stdout.split('\n').includes(`  config   ${result.config} (validated)`), result.stdout)
  const written = JSON.parse(fs.readFileSync(path.join(result.out, 'config.json'), 'utf8')) as ReturnType<typeof checkNodeConfig>
  t.deepEqual(written.bridge?.rules, [
    { filter: 'home/+/temperature', feed: 'climate', decoder: 'number' },
    { filter: 'home/+/humidity', feed: 'climate', decoder: 'number' }
  ])
  t.is(written.boardId, 'x86-64-mini-pc')
  t.is(written.dataDir, '/srv/roost')
})
