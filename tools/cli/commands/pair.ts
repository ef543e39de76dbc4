import { encodeKey } from '../../../node/identity/keys.ts'
import { parseInvite } from '../../../node/trust/invites.ts'
import { usageError, type CommandSpec, type ParsedFlags } from '../args.ts'
import { clientIdentity, connectToNode, NETWORK_FLAGS } from '../../client/connect.ts'

export const spec: CommandSpec = {
  name: 'pair',
  summary: 'Pair this device with a node using an invite from `roost invite`: the node then trusts\n' +
    'this device\'s key (`roost id`), so it may keep cores there and read its status.',
  usage: 'roost pair INVITE [--bootstrap HOST:PORT]',
  positionals: 1,
  flags: { ...NETWORK_FLAGS }
}

export async function run (flags: ParsedFlags, positionals: string[]): Promise<number> {
  const [text] = positionals
  if (!text) throw usageError('pair', 'missing INVITE (as `roost invite` prints it on the node\'s machine)')
  const invite = parseInvite(text)
  const session = await connectToNode(flags, encodeKey(invite.nodeKey))
  try {
    await session.control.pair(invite.secret)
  } finally {
    await session.close()
  }
  process.stdout.write(`paired: node ${encodeKey(invite.nodeKey)} now trusts ${encodeKey(clientIdentity(flags).publicKey)}\n`)
  return 0
}
