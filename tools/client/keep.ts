// Asking a node to keep a core available while this device is away, and to drop it:
// the device serves the core to the node over the same connection until the node holds
// every block it knows of.
import b4a from 'b4a'
import { encodeKey } from '../../node/identity/keys.ts'
import { connectToNode, type NodeSession } from './connect.ts'
import type { Device } from './device.ts'
import { ClientError } from './errors.ts'
import { openClientStore } from './store.ts'

const POLL_MS = 250

export interface KeepOptions {
  // The node may drop this core to make room for others.
  evictable?: boolean
  // How long to wait for the node to hold every block.
  timeoutMs: number
  onHeld?: (held: number, length: number) => void
}

// Keeps the core with `coreKey` on the node. If this device has the core, it is served
// until the node holds all of it; otherwise the node fetches it from peers that announce
// it. Returns the length this device knew of (0 when it has none of it).
export async function keepCore (device: Device, nodeKey: string, coreKey: Uint8Array, opts: KeepOptions): Promise<{ length: number }> {
  const store = openClientStore(device.storeDir)
  const core = store.get({ key: coreKey })
  try {
    await core.ready()
    const session = await connectToNode(device, nodeKey)
    try {
      store.replicate(session.socket)
      await session.control.keep({ key: coreKey, length: core.length, byteLength: core.byteLength, evictable: opts.evictable === true })
      if (core.length > 0) {
        await waitUntilHeld(session, coreKey, core.length, (held) => opts.onHeld?.(held, core.length), opts.timeoutMs)
      }
      return { length: core.length }
    } finally {
      await session.close()
    }
  } finally {
    await core.close()
    await store.close()
  }
}

// Only the key that asked the node to keep the core, or the node's operator, may drop it.
export async function dropCore (device: Device, nodeKey: string, coreKey: Uint8Array): Promise<void> {
  const session = await connectToNode(device, nodeKey)
  try {
    await session.control.drop(coreKey)
  } finally {
    await session.close()
  }
}

// Polls the node's holdings until it holds the core up to `length`; reports progress.
export async function waitUntilHeld (session: NodeSession, key: Uint8Array, length: number, onProgress: (held: number) => void, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  let last = -1
  while (true) {
    const { holdings } = await session.control.holdings([key])
    const h = holdings.find((x) => b4a.equals(x.key, key))
    if (!h) throw ClientError.NOT_KEPT(encodeKey(key))
    if (h.held !== last) { last = h.held; onProgress(h.held) }
    if (h.held >= length) return
    if (h.state === 'over-quota') throw ClientError.QUOTA_BYTES(h.held, length)
    if (h.state === 'disk-full') throw ClientError.DISK_FULL(h.held, length)
    if (Date.now() > deadline) throw ClientError.TIMEOUT(`the node holding all ${length} blocks`, timeoutMs)
    await new Promise((resolve) => setTimeout(resolve, POLL_MS))
  }
}
