// The household device of the storage section: it keeps many small cores on the home
// node over one connection, and watches a restarted node announce them again.
import { connectToNode } from '../../client/connect.ts'
import type { Device } from '../../client/device.ts'
import { openClientStore } from '../../client/store.ts'
import { keepSmallCores, type KeptCores } from '../../harness/many-cores.ts'
import type { NodeProcess } from '../../harness/node-process.ts'
import { HarnessError } from '../../harness/errors.ts'
import { sleep, withDeadline } from '../../harness/wait.ts'

export const KEEPS_IN_FLIGHT = 16
// Deadlines: every core kept and held; every core announced by a restarted node (at
// most 20 a second).
export const KEEP_TIMEOUT_MS = 600_000
export const ANNOUNCE_TIMEOUT_MS = 180_000

// The device keeps `cores` new small cores on the node over one connection, as
// keepSmallCores does, and goes.
export async function keepFromDevice (device: Device, node: { key: string, proc: NodeProcess }, cores: number, namePrefix: string): Promise<KeptCores> {
  const store = openClientStore(device.storeDir)
  try {
    const session = await connectToNode(device, node.key)
    try {
      store.replicate(session.socket)
      const keeping = keepSmallCores(session, store, { count: cores, inFlight: KEEPS_IN_FLIGHT, namePrefix })
      return await withDeadline(`all ${cores} cores kept and held`, keeping, KEEP_TIMEOUT_MS, () => node.proc.lastLog())
    } finally {
      await session.close()
    }
  } finally {
    await store.close()
  }
}

// How long a started node takes to announce `cores` kept cores.
export async function waitAnnounced (device: Device, node: { key: string, proc: NodeProcess }, cores: number): Promise<number> {
  const started = Date.now()
  const watcher = await connectToNode(device, node.key)
  try {
    // A failed status request fails at once: the node has gone.
    while ((await watcher.control.status()).storage!.announced < cores) {
      if (Date.now() - started > ANNOUNCE_TIMEOUT_MS) throw HarnessError.WAIT_TIMEOUT(`announcement of all ${cores} cores`, ANNOUNCE_TIMEOUT_MS, node.proc.lastLog())
      await sleep(1000)
    }
  } finally {
    await watcher.close()
  }
  return Date.now() - started
}
