// Replication: every run sends the same encrypted core from the same writer (a plain
// peer on Node.js, as a household device is) to a fresh home node with the Raspberry Pi
// 4 B's settings, to a fresh plain corestore reader opened with the same storage settings
// (the ratio of the two is what roost's own code costs), and to one with corestore's
// defaults, all on Bare, in an order that changes each run so that drift in machine load
// hits all alike. The last run's node and default reader stay up for a fetch once the
// writer's process has exited.
import path from 'node:path'
import { STORAGE_PEER_DEFAULTS } from '../../../node/config/types.ts'
import { loadOrCreateIdentity } from '../../../node/identity/identity.ts'
import { encodeKey } from '../../../node/identity/keys.ts'
import { defaultConfig } from '../../../targets/artifact.ts'
import { loadBoard } from '../../config/boards.ts'
import { readyKey } from '../../harness/local-node.ts'
import type { NodeProcess } from '../../harness/node-process.ts'
import { cpuMs, median, round, vmHwmKb } from '../measure.ts'
import type { Progress } from '../section.ts'
import type { FetchAfterWriterExit, FetchFigures, ReplicationFigures, StorageFigures, TransferFigures } from './figures.ts'
import { BLOCK_BYTES, startPeer, startStorageNode, stop, TRANSFER_TIMEOUT_MS, waitTransfer, type StorageBench } from './peers.ts'

// What is fetched after the writer has exited.
const FETCH_MIB = 100
// The board whose settings the node and the plain reader beside it take.
export const PI_BOARD = 'raspberry-pi-4b'

type Receiver = 'node' | 'plain' | 'plainRoostStorage'
const RECEIVERS: Receiver[] = ['node', 'plain', 'plainRoostStorage']

interface Written { key: string, length: number, byteLength: number, writeMs: number }
interface TransferSample { mibPerS: number, cpu: number, rss: number }
interface Holder { proc: NodeProcess, key: string }

export async function replicationRuns (bench: StorageBench, coreMiB: number, runs: number, progress: Progress): Promise<{
  writer: StorageFigures['writer'], figures: ReplicationFigures, fetch: FetchAfterWriterExit
}> {
  const writerDir = path.join(bench.work, 'writer')
  const writerKey = encodeKey(loadOrCreateIdentity(writerDir).keyPair.publicKey)
  const samples: Record<Receiver, TransferSample[]> = { node: [], plain: [], plainRoostStorage: [] }
  let written: Written | null = null
  // The last run's receivers, kept up for the fetch after the writer has exited.
  let lastNode: Holder | null = null
  let lastPlain: Holder | null = null
  const pi = loadBoard(PI_BOARD)
  const memtableBytes = { ...STORAGE_PEER_DEFAULTS, ...defaultConfig(pi).storagePeer }.memtableBytes

  // The writer writes the core on its first start; later starts find it in its store.
  const startWriter = async (nodeKey: string | null): Promise<{ writer: NodeProcess, written: Written }> => {
    const writer = startPeer(bench, 'node', ['write', writerDir, bench.bootstrap, String(coreMiB), ...(nodeKey ? [nodeKey] : [])])
    const w = await writer.waitFor('written', TRANSFER_TIMEOUT_MS)
    written ??= { key: String(w.key), length: Number(w.length), byteLength: Number(w.byteLength), writeMs: Number(w.ms) }
    return { writer, written }
  }
  const sample = (who: Receiver, pid: number, cpuBefore: number, ms: number, byteLength: number): void => {
    samples[who].push({ mibPerS: byteLength / 1024 / 1024 / (ms / 1000), cpu: (cpuMs(pid) - cpuBefore) / ms * 100, rss: vmHwmKb(pid) / 1024 })
  }

  for (let i = 0; i < runs; i++) {
    // Each run starts with the next receiver.
    const order = RECEIVERS.map((_, j) => RECEIVERS[(i + j) % RECEIVERS.length])
    for (const who of order) {
      progress(`storage replication run ${i + 1}/${runs} (${who})`, 2 * TRANSFER_TIMEOUT_MS)
      const isLast = i === runs - 1
      if (who === 'node') {
        const node = startStorageNode(bench, `home-${i}`, [writerKey], { board: pi })
        const nodeKey = await readyKey(node)
        const cpuBefore = cpuMs(node.child.pid!)
        const { writer, written: core } = await startWriter(nodeKey)
        const held = await waitTransfer(writer, 'held', [node])
        sample(who, node.child.pid!, cpuBefore, Number(held.ms), core.byteLength)
        await stop(writer)
        if (isLast) lastNode = { proc: node, key: nodeKey }
        else await stop(node)
      } else {
        const { writer, written: core } = await startWriter(null)
        const writerPeer = String((await writer.waitFor('ready')).publicKey)
        const plain = startPeer(bench, 'bare', ['read', path.join(bench.work, `${who}-${i}`), bench.bootstrap, writerPeer, core.key, String(core.length),
          ...(who === 'plainRoostStorage' ? [`roost-storage=${memtableBytes}`] : [])])
        const plainKey = String((await plain.waitFor('ready', 30_000)).publicKey)
        const cpuBefore = cpuMs(plain.child.pid!)
        const read = await waitTransfer(plain, 'read', [writer])
        sample(who, plain.child.pid!, cpuBefore, Number(read.ms), core.byteLength)
        await stop(writer)
        if (isLast && who === 'plain') lastPlain = { proc: plain, key: plainKey }
        else await stop(plain)
      }
    }
  }

  const core: Written = written!
  const fetch = await fetchAfterWriterExit(bench, core, lastNode!, lastPlain!, progress)
  const node = transferFigures(samples.node)
  const plain = transferFigures(samples.plain)
  const plainRoostStorage = transferFigures(samples.plainRoostStorage)
  const ratio = (a: TransferFigures, b: TransferFigures): number => Math.round(a.mibPerS / b.mibPerS * 100) / 100
  return {
    writer: { runtime: 'node', writeMs: round(core.writeMs) },
    figures: {
      board: pi.id,
      memtableMiB: memtableBytes / 1024 / 1024,
      node,
      plain,
      plainRoostStorage,
      nodeToPlainSameSettings: ratio(node, plainRoostStorage),
      nodeToPlain: ratio(node, plain),
      aims: { nodeToPlainSameSettings: 0.95 }
    },
    fetch
  }
}

// The writer's process has exited (stop() waits for it): a reader on Node.js, as a
// household device is, fetches the first 100 MiB from each holder, which then stops.
async function fetchAfterWriterExit (bench: StorageBench, core: Written, fromNode: Holder, fromPlain: Holder, progress: Progress): Promise<FetchAfterWriterExit> {
  const fetchBlocks = Math.min(core.length, Math.ceil(FETCH_MIB * 1024 * 1024 / BLOCK_BYTES))
  const fetchFrom = async (holder: Holder, name: string, label: string): Promise<FetchFigures> => {
    progress(`storage fetch from the ${label} after the writer exited`, TRANSFER_TIMEOUT_MS + 60_000)
    const reader = startPeer(bench, 'node', ['read', path.join(bench.work, name), bench.bootstrap, holder.key, core.key, String(fetchBlocks)])
    const read = await waitTransfer(reader, 'read', [holder.proc])
    await stop(reader)
    const ms = Number(read.ms)
    return { ms: round(ms), mibPerS: round(fetchBlocks * BLOCK_BYTES / 1024 / 1024 / (ms / 1000)), connectMs: round(Number(read.connectMs)) }
  }
  const figures: FetchAfterWriterExit = {
    mib: round(fetchBlocks * BLOCK_BYTES / 1024 / 1024),
    reader: 'node',
    fromNode: await fetchFrom(fromNode, 'fetch-node', 'node'),
    fromPlain: await fetchFrom(fromPlain, 'fetch-plain', 'plain reader')
  }
  await stop(fromNode.proc)
  await stop(fromPlain.proc)
  return figures
}

function transferFigures (s: TransferSample[]): TransferFigures {
  return {
    mibPerS: median(s.map((x) => x.mibPerS)),
    allMibPerS: s.map((x) => round(x.mibPerS)),
    cpuPercent: Math.round(median(s.map((x) => x.cpu))),
    maxRssMiB: median(s.map((x) => x.rss))
  }
}
