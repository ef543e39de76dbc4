// A node's status as its trusted keys see it: what it runs, and, for a storage node,
// the cores it keeps that this key may see (all of them for its operator) and this key's
// usage against its quota.
import type { NodeStatus } from '../../node/protocol/messages.ts'
import type { Holding, StorageUsage } from '../../node/protocol/storage-messages.ts'
import { connectToNode } from './connect.ts'
import type { Device } from './device.ts'

export interface NodeReport {
  status: NodeStatus
  // Null for a node without the storage role.
  holdings: Holding[] | null
  usage: StorageUsage | null
  // The relay this device's connection to the node went through; null when direct.
  relay: Uint8Array | null
}

export async function nodeStatus (device: Device, nodeKey: string): Promise<NodeReport> {
  const session = await connectToNode(device, nodeKey)
  try {
    const status = await session.control.status()
    if (status.storage === null) return { status, holdings: null, usage: null, relay: session.path().relay }
    const { holdings, usage } = await session.control.holdings()
    return { status, holdings, usage, relay: session.path().relay }
  } finally {
    await session.close()
  }
}
