// Many cores: one household device keeps 1,000 (by default) new small encrypted cores
// on a fresh home node and goes; the node's memory before, while and after it keeps
// them, and once restarted over the same storage and done announcing them again.
import path from 'node:path'
import { STORAGE_PEER_DEFAULTS } from '../../../node/config/types.ts'
import type { StorageStatus } from '../../../node/protocol/storage-messages.ts'
import { defaultConfig } from '../../../targets/artifact.ts'
import { connectToNode } from '../../client/connect.ts'
import { deviceAt } from '../../client/device.ts'
import { readyKey } from '../../harness/local-node.ts'
import { sleep } from '../../harness/wait.ts'
import { encodeKey } from '../../../node/identity/keys.ts'
import { round, rssBreakdown, rssKinds, vmHwmKb, vmRssKb } from '../measure.ts'
import type { Progress } from '../section.ts'
import type { ManyCoresFigures } from './figures.ts'
import { ANNOUNCE_TIMEOUT_MS, KEEP_TIMEOUT_MS, keepFromDevice, KEEPS_IN_FLIGHT, waitAnnounced } from './household.ts'
import { IDLE_MS, startStorageNode, stop, type StorageBench } from './peers.ts'

// After the keeping device has gone: the keeper's 3 s linger, corestore's gc (4 × 2 s).
// Cores still open then are a figure, not a failure.
const SETTLE_TIMEOUT_MS = 30_000

export async function keepManyCores (bench: StorageBench, cores: number, progress: Progress): Promise<ManyCoresFigures> {
  progress(`storage many cores: one device keeps ${cores}`, KEEP_TIMEOUT_MS + 2 * 60_000)
  const device = deviceAt(path.join(bench.work, 'household'), { bootstrap: [bench.bootstrap] })
  const clientKey = encodeKey(device.keyPair.publicKey)
  const node = startStorageNode(bench, 'home-many', [clientKey])
  const nodeKey = await readyKey(node)
  const pid = node.child.pid!
  await sleep(IDLE_MS)
  const empty = { maxRssMiB: round(vmHwmKb(pid) / 1024), rssMiB: round(vmRssKb(pid) / 1024) }
  const kept = await keepFromDevice(device, { key: nodeKey, proc: node }, cores, 'bench')
  // VmHWM is the most the node has had resident so far: here, while keeping.
  const keepingMaxRssKb = vmHwmKb(pid)

  // The device has gone; wait for every core to close, then let the node idle.
  const gone = Date.now()
  const observer = await connectToNode(device, nodeKey)
  let status: StorageStatus
  try {
    status = (await observer.control.status()).storage!
    while (status.openCores > 0 && Date.now() - gone < SETTLE_TIMEOUT_MS) {
      await sleep(500)
      status = (await observer.control.status()).storage!
    }
  } finally {
    await observer.close()
  }
  const settleMs = Date.now() - gone
  await sleep(IDLE_MS)
  const idle = { maxRssMiB: round(vmHwmKb(pid) / 1024), rssMiB: round(vmRssKb(pid) / 1024), openCores: status.openCores, settleMs, breakdown: rssBreakdown(pid) }
  await stop(node)

  progress(`storage many cores: the node restarted announces ${cores}`, ANNOUNCE_TIMEOUT_MS + 60_000)
  const again = startStorageNode(bench, 'home-many', [clientKey])
  await readyKey(again)
  // The restarted keeper announces every core again (at most 20 a second); then idle.
  const announceMs = await waitAnnounced(device, { key: nodeKey, proc: again }, cores)
  await sleep(IDLE_MS * 2)
  const againPid = again.child.pid!
  const restarted = {
    maxRssMiB: round(vmHwmKb(againPid) / 1024), rssMiB: round(vmRssKb(againPid) / 1024), announceMs,
    ...rssKinds(againPid), breakdown: rssBreakdown(againPid)
  }
  await stop(again)

  const peakOf = (k: 'openCores' | 'syncing'): number => Math.max(0, ...kept.samples.map((s) => s.storage[k]))
  return {
    cores,
    keepsInFlight: KEEPS_IN_FLIGHT,
    keptMs: round(kept.keptMs),
    peakOpenCores: peakOf('openCores'),
    peakSyncing: peakOf('syncing'),
    maxOpenCores: { ...STORAGE_PEER_DEFAULTS, ...defaultConfig(bench.board).storagePeer }.maxOpenCores,
    empty,
    keepingMaxRssMiB: round(keepingMaxRssKb / 1024),
    idle,
    restarted
  }
}
