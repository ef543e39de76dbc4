import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { dropCore } from '../../client/keep.ts'
import { defineCommand, usageError } from '../args.ts'
import { deviceFromFlags, NETWORK_FLAGS } from '../network-flags.ts'

export const drop = defineCommand({
  name: 'drop',
  summary: 'Ask a node to stop keeping a core and delete its blocks.',
  details: 'Only the key that asked the node to keep it, or the node\'s operator, may drop a core.',
  usage: 'roost drop CORE_KEY --peer NODE_KEY [--bootstrap HOST:PORT]',
  positionals: 1,
  flags: {
    peer: { type: 'string', value: 'NODE_KEY', help: 'the node that keeps the core' },
    ...NETWORK_FLAGS
  }
}, async (flags, [coreText]) => {
  if (!coreText) throw usageError('drop', 'missing CORE_KEY')
  if (!flags.peer) throw usageError('drop', 'missing --peer NODE_KEY')
  const key = decodeKey('core key', coreText)
  await dropCore(deviceFromFlags(flags), flags.peer, key)
  process.stdout.write(`dropped: ${encodeKey(key)} from ${flags.peer}\n`)
  return 0
})
