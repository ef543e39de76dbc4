import { encodeKey } from '../../../node/identity/keys.ts'
import { parseInvite } from '../../../node/trust/invites.ts'
import { pairWithNode } from '../../client/pair.ts'
import { defineCommand, usageError } from '../args.ts'
import { deviceFromFlags, NETWORK_FLAGS } from '../network-flags.ts'

export const pair = defineCommand({
  name: 'pair',
  summary: 'Pair this device with a node using an invite from `roost invite`.',
  details: 'The node then trusts this device\'s key (`roost id`), so it may keep cores there and read\n' +
    'its status.',
  usage: 'roost pair INVITE [--bootstrap HOST:PORT]',
  positionals: 1,
  flags: { ...NETWORK_FLAGS }
}, async (flags, [invite]) => {
  if (!invite) throw usageError('pair', 'missing INVITE (as `roost invite` prints it on the node\'s machine)')
  const parsed = parseInvite(invite)
  const device = deviceFromFlags(flags)
  await pairWithNode(device, parsed)
  process.stdout.write(`paired: node ${encodeKey(parsed.nodeKey)} now trusts ${encodeKey(device.keyPair.publicKey)}\n`)
  return 0
})
