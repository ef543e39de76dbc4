import { encodeKey } from '../../../node/identity/keys.ts'
import { defineCommand } from '../args.ts'
import { deviceFromFlags, NETWORK_FLAGS } from '../network-flags.ts'

export const id = defineCommand({
  name: 'id',
  summary: 'Print this client\'s public key, to put in a node\'s trusted list.',
  details: 'The key is created on first use. A node answers status and other requests only for keys\n' +
    'in its trusted list: give this key to the node\'s operator.',
  usage: 'roost id [--identity DIR]',
  flags: { identity: NETWORK_FLAGS.identity }
}, async (flags) => {
  process.stdout.write(encodeKey(deviceFromFlags(flags).keyPair.publicKey) + '\n')
  return 0
})
