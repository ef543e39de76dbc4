import path from 'node:path'
import { readCaFile, readPasswordFile } from '../../../node/bridge/mqtt-client.ts'
import { checkRules, parseMapFlag } from '../../../node/bridge/rules.ts'
import { checkTopicFilter } from '../../../node/bridge/topic-filter.ts'
import { BRIDGE_DEFAULTS, type BridgeSettings } from '../../../node/config/types.ts'
import { NodeError } from '../../../node/errors.ts'
import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { defaultConfig } from '../../../targets/artifact.ts'
import { loadBoard } from '../../config/boards.ts'
import { loadNodeConfig } from '../../config/node-config.ts'
import { buildLocal, startNode, thisMachineBoard, writeConfig } from '../../harness/local-node.ts'
import { defineCommand, usageError, type Flags } from '../args.ts'
import { CliError } from '../errors.ts'
import { deviceFromFlags, NETWORK_FLAGS } from '../network-flags.ts'
import { buildCacheDir, defaultNodeDataDir, roostHome } from '../paths.ts'
import { runtimeFlag } from './build.ts'

const spec = {
  name: 'run',
  summary: 'Build the node for this machine and run it on Bare in the foreground.',
  details: 'It logs one JSON object per line; Ctrl-C stops it. This client\'s key (`roost id`) is its\n' +
    'operator key.',
  usage: 'roost run [--config FILE] [--bootstrap HOST:PORT] [--storage DIR] [--trust KEY] [--peer KEY] [--broker URL --map RULE [--mqtt-version 5] [--ca-file FILE] [--username USER --password-file FILE]]',
  flags: {
    storage: { type: 'string', value: 'DIR', help: 'where the node keeps its keys and data (default: ~/.local/share/roost/node)' },
    config: { type: 'string', value: 'FILE', help: 'node config YAML (roles, limits, bridge) as for `roost build`; flags add to it. Without it the board\'s roles run, storage included' },
    trust: { type: 'string', multiple: true, value: 'KEY', help: 'a client key the node answers status and requests for' },
    peer: { type: 'string', multiple: true, value: 'KEY', help: 'another node to keep reaching and pinging' },
    board: { type: 'string', value: 'ID', help: 'board config to use (default: the one matching this machine)' },
    runtime: { type: 'string', value: 'bare|node', help: 'runtime to run on (default: bare)' },
    broker: { type: 'string', value: 'URL', help: 'MQTT broker to bridge into feeds, e.g. mqtt://127.0.0.1:1883 or mqtts://broker.lan:8883' },
    'mqtt-version': { type: 'string', value: '4|5', help: 'MQTT version to speak to the broker: 4 (3.1.1, the default) or 5' },
    'ca-file': { type: 'string', value: 'FILE', help: 'PEM file of the CA that an mqtts:// broker\'s certificate must chain to (default: the system roots)' },
    username: { type: 'string', value: 'USER', help: 'user name to log in to the broker with' },
    'password-file': { type: 'string', value: 'FILE', help: 'file holding the broker password (mode 600; read when the node connects)' },
    map: { type: 'string', multiple: true, value: 'RULE', help: 'topic filter → feed, e.g. \'home/+/temperature=climate:number\' (decoders: json, number, text, raw)' },
    'command-topic': { type: 'string', multiple: true, value: 'FILTER', help: 'topic a trusted peer may publish to through the node, e.g. home/heater/set' },
    bootstrap: NETWORK_FLAGS.bootstrap,
    host: NETWORK_FLAGS.host,
    identity: { ...NETWORK_FLAGS.identity, help: 'client identity whose key becomes the operator key (default: ~/.local/share/roost/client)' }
  }
} as const

type RunFlags = Flags<typeof spec>

export const run = defineCommand(spec, async (flags) => {
  const board = flags.board !== undefined ? loadBoard(flags.board) : thisMachineBoard()
  const runtime = runtimeFlag('run', flags.runtime)
  const trusted = (flags.trust ?? []).map((k) => encodeKey(decodeKey('--trust', k)))
  const peers = (flags.peer ?? []).map((k) => encodeKey(decodeKey('--peer', k)))
  const bridge = bridgeFlags(flags)
  const device = deviceFromFlags(flags)
  const bootstrap = device.bootstrap.map((b) => `${b.host}:${b.port}`)
  const operatorKey = encodeKey(device.keyPair.publicKey)

  // Checked before the build: a bad file stops here with its line and field.
  const base = flags.config === undefined ? defaultConfig(board) : loadNodeConfig(flags.config, board)

  const artifactDir = path.join(buildCacheDir(), `${board.id}-${runtime}`)
  await buildLocal(board, runtime, artifactDir)
  const configFile = path.join(roostHome(), 'run', 'config.json')
  writeConfig(configFile, {
    ...base,
    // The board's storage path is a device path; on this machine the node keeps its data here.
    dataDir: path.resolve(flags.storage ?? defaultNodeDataDir()),
    bootstrap: bootstrap.length > 0 ? bootstrap : base.bootstrap,
    host: flags.host ?? base.host,
    trustedKeys: [...new Set([...base.trustedKeys, ...trusted])],
    operatorKey: base.operatorKey ?? operatorKey,
    peers: [...new Set([...base.peers, ...peers])],
    roles: bridge ? [...new Set([...base.roles, 'bridge' as const])] : base.roles,
    bridge: bridge ?? base.bridge ?? null
  })

  const child = startNode(artifactDir, runtime, configFile, 'inherit')
  // The child gets Ctrl-C from the terminal itself; a SIGTERM sent to us is passed on.
  const forward = (): void => { child.kill('SIGTERM') }
  process.on('SIGTERM', forward)
  process.on('SIGINT', () => {})
  const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
  process.off('SIGTERM', forward)
  return code
})

const BROKER_ONLY_FLAGS = ['map', 'mqtt-version', 'ca-file', 'username', 'password-file'] as const

function bridgeFlags (flags: RunFlags): BridgeSettings | null {
  const broker = flags.broker
  const maps = flags.map ?? []
  const given = BROKER_ONLY_FLAGS.find((name) => flags[name] !== undefined)
  if (!broker && given === undefined) return null
  if (!broker) throw usageError('run', `--${given} needs --broker URL`)
  if (!/^mqtts?:\/\/[^\s/]+/.test(broker)) throw usageError('run', `--broker must be an mqtt:// or mqtts:// URL, got "${broker}"`)
  if (maps.length === 0) throw usageError('run', '--broker needs at least one --map FILTER=FEED:DECODER')
  const rules = maps.map((value) => {
    const rule = parseMapFlag(value)
    if (typeof rule === 'string') throw usageError('run', rule)
    return rule
  })
  const problems = checkRules(rules)
  if (problems.length > 0) throw usageError('run', `--map ${maps[problems[0].index]}: ${problems[0].reason}`)
  const commandTopics = flags['command-topic'] ?? []
  for (const filter of commandTopics) {
    const problem = checkTopicFilter(filter)
    if (problem) throw usageError('run', `--command-topic ${filter}: ${problem}`)
  }
  return {
    ...BRIDGE_DEFAULTS,
    broker,
    caFile: caFileFlag(flags, broker),
    clientId: null,
    ...loginFlags(flags),
    protocolVersion: mqttVersionFlag(flags),
    rules,
    commandTopics
  }
}

function mqttVersionFlag (flags: RunFlags): BridgeSettings['protocolVersion'] {
  const value = flags['mqtt-version']
  if (value === undefined) return BRIDGE_DEFAULTS.protocolVersion
  if (value === '4' || value === '5') return Number(value) as 4 | 5
  throw usageError('run', `--mqtt-version must be 4 (MQTT 3.1.1) or 5 (MQTT 5), got "${value}"`)
}

// The node runs on this machine, so the files can be checked here, before the build:
// the node checks them again at each connect (node/bridge/mqtt-client.ts).
function caFileFlag (flags: RunFlags, broker: string): string | null {
  const value = flags['ca-file']
  if (value === undefined) return null
  if (!broker.startsWith('mqtts://')) throw usageError('run', '--ca-file is used only with an mqtts:// broker')
  const file = path.resolve(value)
  fileFlag('ca-file', () => readCaFile(file))
  return file
}

function loginFlags (flags: RunFlags): Pick<BridgeSettings, 'username' | 'password' | 'passwordFile'> {
  const username = flags.username ?? null
  const value = flags['password-file']
  if (value === undefined) return { username, password: null, passwordFile: null }
  if (username === null) throw usageError('run', '--password-file needs --username USER (MQTT sends a password only with one)')
  const file = path.resolve(value)
  fileFlag('password-file', () => readPasswordFile(file))
  return { username, password: null, passwordFile: file }
}

function fileFlag (name: string, check: () => unknown): void {
  try {
    check()
  } catch (err) {
    if (!(err instanceof NodeError)) throw err
    throw CliError.BAD_FILE_FLAG('run', name, err)
  }
}
