import path from 'node:path'
import { defaultConfig } from '../../targets/artifact.ts'
import { encodeKey } from '../../node/keys.ts'
import { listFlag, stringFlag, type CommandSpec, type ParsedFlags } from '../args.ts'
import { loadBoard } from '../boards.ts'
import { bootstrapFlags, clientIdentity, NETWORK_FLAGS } from '../network.ts'
import { buildLocal, startNode, thisMachineBoard, writeConfig } from '../local-node.ts'
import { buildCacheDir, dataDir, defaultNodeStorage } from '../paths.ts'
import { decodeKey } from '../../node/keys.ts'
import { runtimeFlag } from './build.ts'

export const spec: CommandSpec = {
  name: 'run',
  summary: 'Build the node for this machine and run it on Bare in the foreground. It logs one JSON\n' +
    'object per line; Ctrl-C stops it. This client\'s key (`roost id`) is its operator key.',
  usage: 'roost run [--bootstrap HOST:PORT] [--storage DIR] [--trust KEY] [--peer KEY]',
  flags: {
    storage: { type: 'string', value: 'DIR', help: 'where the node keeps its keys and data (default: ~/.local/share/roost/node)' },
    trust: { type: 'string', multiple: true, value: 'KEY', help: 'a client key the node answers status and requests for' },
    peer: { type: 'string', multiple: true, value: 'KEY', help: 'another node to keep reaching and pinging' },
    board: { type: 'string', value: 'ID', help: 'board config to use (default: the one matching this machine)' },
    runtime: { type: 'string', value: 'bare|node', help: 'runtime to run on (default: bare)' },
    bootstrap: NETWORK_FLAGS.bootstrap,
    host: NETWORK_FLAGS.host,
    identity: { ...NETWORK_FLAGS.identity, help: 'client identity whose key becomes the operator key (default: ~/.local/share/roost/client)' }
  }
}

export async function run (flags: ParsedFlags): Promise<number> {
  const board = stringFlag(flags, 'board') ? loadBoard(stringFlag(flags, 'board')!) : thisMachineBoard()
  const runtime = runtimeFlag('run', flags)
  const trusted = listFlag(flags, 'trust').map((k) => encodeKey(decodeKey('--trust', k)))
  const peers = listFlag(flags, 'peer').map((k) => encodeKey(decodeKey('--peer', k)))
  const bootstrap = bootstrapFlags(flags).map((b) => `${b.host}:${b.port}`)
  const operatorKey = encodeKey(clientIdentity(flags).publicKey)

  const artifactDir = path.join(buildCacheDir(), `${board.id}-${runtime}`)
  await buildLocal(board, runtime, artifactDir)
  const configFile = path.join(dataDir(), 'run', 'config.json')
  writeConfig(configFile, {
    ...defaultConfig(board),
    storage: path.resolve(stringFlag(flags, 'storage') ?? defaultNodeStorage()),
    bootstrap,
    host: stringFlag(flags, 'host') ?? null,
    trustedKeys: trusted,
    operatorKey,
    peers
  })

  const child = startNode(artifactDir, runtime, configFile, 'inherit')
  // The child gets Ctrl-C from the terminal itself; a SIGTERM sent to us is passed on.
  const forward = (): void => { child.kill('SIGTERM') }
  process.on('SIGTERM', forward)
  process.on('SIGINT', () => {})
  const code = await new Promise<number>((resolve) => child.on('exit', (c, signal) => resolve(c ?? (signal ? 1 : 0))))
  process.off('SIGTERM', forward)
  return code
}
