import { encodeKey } from '../../../node/identity/keys.ts'
import type { CommandSpec, ParsedFlags } from '../args.ts'
import { clientIdentity, NETWORK_FLAGS } from '../../client/connect.ts'

export const spec: CommandSpec = {
  name: 'id',
  summary: 'Print this client\'s public key (created on first use). A node answers status and other\n' +
    'requests only for keys in its trusted list: give this key to the node\'s operator.',
  usage: 'roost id [--identity DIR]',
  flags: { identity: NETWORK_FLAGS.identity }
}

export async function run (flags: ParsedFlags): Promise<number> {
  process.stdout.write(encodeKey(clientIdentity(flags).publicKey) + '\n')
  return 0
}
