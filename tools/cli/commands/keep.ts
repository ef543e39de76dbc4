import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { intFlag, stringFlag, usageError, type CommandSpec, type ParsedFlags } from '../args.ts'
import { connectToNode, NETWORK_FLAGS } from '../../client/connect.ts'
import { clientStoreDir, openClientStore, waitUntilHeld } from '../../client/store.ts'

export const spec: CommandSpec = {
  name: 'keep',
  summary: 'Ask a node to keep a hypercore available while this device is offline. If the core is on\n' +
    'this device, it is served to the node until the node holds every block; otherwise the node\n' +
    'fetches it from any peer that announces it. The node stores ciphertext only.',
  usage: 'roost keep CORE_KEY --peer NODE_KEY [--evictable] [--timeout SECONDS] [--bootstrap HOST:PORT]',
  positionals: 1,
  flags: {
    peer: { type: 'string', value: 'NODE_KEY', help: 'the node to keep the core on' },
    evictable: { type: 'boolean', help: 'the node may drop this core to make room for others' },
    timeout: { type: 'string', value: 'SECONDS', help: 'how long to wait for the node to hold every block (default: 600)' },
    ...NETWORK_FLAGS
  }
}

export async function run (flags: ParsedFlags, positionals: string[]): Promise<number> {
  const [coreText] = positionals
  const nodeKey = stringFlag(flags, 'peer')
  if (!coreText) throw usageError('keep', 'missing CORE_KEY')
  if (!nodeKey) throw usageError('keep', 'missing --peer NODE_KEY')
  const key = decodeKey('core key', coreText)
  const timeoutMs = intFlag('keep', flags, 'timeout', 600, 1, 86_400) * 1000
  const store = openClientStore(clientStoreDir(flags))
  const core = store.get({ key })
  await core.ready()
  const session = await connectToNode(flags, nodeKey)
  try {
    store.replicate(session.socket)
    await session.control.keep({ key, length: core.length, byteLength: core.byteLength, evictable: flags.evictable === true })
    if (core.length > 0) {
      await waitUntilHeld(session, key, core.length, (held) => process.stderr.write(`node holds ${held}/${core.length} blocks\n`), timeoutMs)
    }
  } finally {
    await session.close()
    await core.close()
    await store.close()
  }
  process.stdout.write(`kept: ${encodeKey(key)} on ${nodeKey}${core.length > 0 ? ` (${core.length} blocks held)` : ' (the node fetches it from peers that announce it)'}\n`)
  return 0
}
