// Pairing this device with a node through a one-time invite (`roost invite` on the node's
// machine): the node then trusts this device's key.
import type { Invite } from '../../node/trust/invites.ts'
import { connectToNode } from './connect.ts'
import type { Device } from './device.ts'

// `invite` as parseInvite reads it from what `roost invite` printed.
export async function pairWithNode (device: Device, invite: Invite): Promise<void> {
  const session = await connectToNode(device, invite.nodeKey)
  try {
    await session.control.pair(invite.secret)
  } finally {
    await session.close()
  }
}
