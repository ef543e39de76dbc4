import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { stringFlag, usageError, type CommandSpec, type ParsedFlags } from '../args.ts'
import { connectToNode, NETWORK_FLAGS } from '../../client/connect.ts'

export const spec: CommandSpec = {
  name: 'drop',
  summary: 'Ask a node to stop keeping a core and delete its blocks (only the key that asked to keep\n' +
    'it, or the node\'s operator, may).',
  usage: 'roost drop CORE_KEY --peer NODE_KEY [--bootstrap HOST:PORT]',
  positionals: 1,
  flags: {
    peer: { type: 'string', value: 'NODE_KEY', help: 'the node that keeps the core' },
    ...NETWORK_FLAGS
  }
}

export async function run (flags: ParsedFlags, positionals: string[]): Promise<number> {
  const [coreText] = positionals
  const nodeKey = stringFlag(flags, 'peer')
  if (!coreText) throw usageError('drop', 'missing CORE_KEY')
  if (!nodeKey) throw usageError('drop', 'missing --peer NODE_KEY')
  const key = decodeKey('core key', coreText)
  const session = await connectToNode(flags, nodeKey)
  try {
    await session.control.drop(key)
  } finally {
    await session.close()
  }
  process.stdout.write(`dropped: ${encodeKey(key)} from ${nodeKey}\n`)
  return 0
}
