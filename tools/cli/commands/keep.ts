import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { keepCore } from '../../client/keep.ts'
import { defineCommand, intFlag, usageError } from '../args.ts'
import { deviceFromFlags, NETWORK_FLAGS } from '../network-flags.ts'

export const keep = defineCommand({
  name: 'keep',
  summary: 'Ask a node to keep a hypercore available while this device is offline.',
  details: 'If the core is on this device, it is served to the node until the node holds every block;\n' +
    'otherwise the node fetches it from any peer that announces it. The node stores ciphertext only.',
  usage: 'roost keep CORE_KEY --peer NODE_KEY [--evictable] [--timeout SECONDS] [--bootstrap HOST:PORT]',
  positionals: 1,
  flags: {
    peer: { type: 'string', value: 'NODE_KEY', help: 'the node to keep the core on' },
    evictable: { type: 'boolean', help: 'the node may drop this core to make room for others' },
    timeout: { type: 'string', value: 'SECONDS', help: 'how long to wait for the node to hold every block (default: 600)' },
    ...NETWORK_FLAGS
  }
}, async (flags, [coreText]) => {
  if (!coreText) throw usageError('keep', 'missing CORE_KEY')
  if (!flags.peer) throw usageError('keep', 'missing --peer NODE_KEY')
  const key = decodeKey('core key', coreText)
  const timeoutMs = intFlag('keep', 'timeout', flags.timeout, 600, 1, 86_400) * 1000
  const { length } = await keepCore(deviceFromFlags(flags), flags.peer, key, {
    evictable: flags.evictable,
    timeoutMs,
    onHeld: (held, of) => process.stderr.write(`node holds ${held}/${of} blocks\n`)
  })
  process.stdout.write(`kept: ${encodeKey(key)} on ${flags.peer}${length > 0 ? ` (${length} blocks held)` : ' (the node fetches it from peers that announce it)'}\n`)
  return 0
})
