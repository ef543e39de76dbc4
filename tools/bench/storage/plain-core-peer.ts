// A plain corestore peer for the storage section of `roost bench` (peers.ts), bundled like the
// node for Bare or Node.js: the baseline the storage peer is compared with, and the
// household device that writes and reads. No roost role runs here; corestore keeps
// its default storage settings.
//
//   write DIR BOOTSTRAP MIB [NODE_KEY]  writes a MIB-MiB encrypted core in 64 KiB blocks;
//                                       with NODE_KEY, asks that node to keep it and
//                                       reports when the node holds every block
//   read DIR BOOTSTRAP FROM_KEY CORE_KEY BLOCKS [roost-storage=MEMTABLE_BYTES]
//                                       downloads blocks 0..BLOCKS-1 from the peer FROM_KEY;
//                                       with roost-storage, into a store opened as the
//                                       node opens its own (node/storage/corestore.ts)
//                                       with that memtable size
//
// Every mode serves its store to whoever connects, prints one JSON line per step
// (`ready`, `written`, `held`, `read`, `error`), a `progress` line a second while it
// waits for blocks to move (so that a stalled transfer shows where it stopped), a line
// when a connection ends, and exits 0 on SIGTERM.
import fs from '#fs'
import { platform } from '#platform'
import b4a from 'b4a'
import Corestore from 'corestore'
import crypto from 'hypercore-crypto'
import type { NoiseSecretStream } from 'hyperdht'
import { parseBootstrap } from '../../../node/config/bootstrap.ts'
import { openControlChannel } from '../../../node/protocol/channel.ts'
import { createDht } from '../../../node/network/dht.ts'
import { loadOrCreateIdentity } from '../../../node/identity/identity.ts'
import { decodeKey, encodeKey } from '../../../node/identity/keys.ts'
import { coresPath, openStore } from '../../../node/storage/corestore.ts'
import { HarnessError } from '../../harness/errors.ts'

const BLOCK_BYTES = 64 * 1024
// Blocks per append: large enough that the writer's own storage is not what is timed.
const BATCH = 64
const POLL_MS = 50
const PROGRESS_MS = 1000

interface Core {
  key: Uint8Array
  length: number
  byteLength: number
  ready (): Promise<void>
  append (blocks: Uint8Array[]): Promise<unknown>
  download (range: { start: number, end: number }): { done (): Promise<void> }
  on (event: 'download' | 'upload', listener: () => void): void
  contiguousLength: number
  peers: PeerState[]
}
// What a stalled fetch's progress line shows of each peer (hypercore 11.37's replicator Peer).
interface PeerState {
  remoteLength: number
  remoteContiguousLength: number
  remoteDownloading: boolean
  remoteUploading: boolean
  inflight: number
  paused: boolean
  removed: boolean
  stream: { destroyed: boolean }
}
interface Store {
  get (opts: Record<string, unknown>): Core
  replicate (stream: unknown): unknown
  close (): Promise<void>
}

const peerState = (p: PeerState): Record<string, unknown> => ({
  remoteLength: p.remoteLength, remoteContiguousLength: p.remoteContiguousLength, remoteDownloading: p.remoteDownloading,
  remoteUploading: p.remoteUploading, inflight: p.inflight, paused: p.paused, removed: p.removed, streamDestroyed: p.stream.destroyed
})
const print = (fields: Record<string, unknown>): void => { platform.writeStdout(JSON.stringify(fields) + '\n') }

async function main (): Promise<void> {
  const [mode, dir, bootstrapText, ...rest] = platform.argv
  const keyPair = loadOrCreateIdentity(dir).keyPair
  const roostStorage = rest.find((arg) => arg.startsWith('roost-storage='))
  const store = roostStorage
    ? await openStore(dir, { memtableBytes: Number(roostStorage.split('=')[1]) }) as unknown as Store
    : new (Corestore as unknown as new (dir: string) => Store)(coresPath(dir))
  const dht = createDht({ bootstrap: [parseBootstrap(bootstrapText)], host: null })
  const sockets = new Set<NoiseSecretStream>()
  const track = (socket: NoiseSecretStream): void => {
    sockets.add(socket)
    // A connection's end is in the log: a fetch that stalls shows whether it lost its peer.
    socket.on('error', (err: Error & { code?: string }) => print({ event: 'connection-error', code: err.code ?? 'ERROR', message: err.message }))
    socket.once('close', () => {
      sockets.delete(socket)
      print({ event: 'connection-closed', peer: encodeKey(socket.remotePublicKey) })
    })
    store.replicate(socket)
  }
  const server = dht.createServer(track)
  await server.listen(keyPair)
  platform.onSignal('SIGTERM', () => {
    for (const s of sockets) s.destroy()
    server.close().then(() => dht.destroy()).then(() => store.close()).then(() => platform.exit(0), () => platform.exit(0))
  })
  print({ event: 'ready', publicKey: encodeKey(keyPair.publicKey) })

  if (mode === 'write') {
    const [mibText, nodeKey] = rest
    const blocks = Math.ceil(Number(mibText) * 1024 * 1024 / BLOCK_BYTES)
    // The same core on every start in DIR: its encryption key is kept next to the store.
    const keyFile = `${dir}/encryption-key`
    if (!fs.existsSync(keyFile)) fs.writeFileSync(keyFile, crypto.randomBytes(32))
    const core = store.get({ name: 'bench', encryption: { key: b4a.from(fs.readFileSync(keyFile)) } })
    await core.ready()
    let started = platform.nowMs()
    for (let i = core.length; i < blocks; i += BATCH) {
      const batch: Uint8Array[] = []
      for (let j = i; j < Math.min(blocks, i + BATCH); j++) batch.push(b4a.alloc(BLOCK_BYTES, j & 0xff))
      await core.append(batch)
    }
    print({ event: 'written', key: encodeKey(core.key), length: core.length, byteLength: core.byteLength, ms: platform.nowMs() - started })
    if (!nodeKey) return
    const socket = dht.connect(decodeKey('node key', nodeKey), { keyPair })
    track(socket)
    const control = openControlChannel(socket)
    await control.opened
    started = platform.nowMs()
    await control.keep({ key: core.key, length: core.length, byteLength: core.byteLength, evictable: false })
    let printedAt = started
    // Blocks arrive at the node out of order: what it holds whole may stand still while they flow.
    let uploaded = 0
    core.on('upload', () => { uploaded++ })
    for (;;) {
      const { holdings } = await control.holdings()
      const h = holdings.find((x) => b4a.equals(x.key, core.key))
      if (h && h.held >= core.length) break
      if (platform.nowMs() - printedAt >= PROGRESS_MS) {
        printedAt = platform.nowMs()
        print({ event: 'progress', uploaded, held: h?.held ?? 0, length: core.length, connections: sockets.size })
      }
      await new Promise((resolve) => setTimeout(resolve, POLL_MS))
    }
    print({ event: 'held', ms: platform.nowMs() - started, byteLength: core.byteLength })
  } else if (mode === 'read') {
    const [fromKey, coreKey, blocksText] = rest
    const blocks = Number(blocksText)
    const connecting = platform.nowMs()
    const socket = dht.connect(decodeKey('peer key', fromKey), { keyPair })
    track(socket)
    await socket.opened
    // Timed from an open connection, as the node's keep is (the writer is connected first).
    const started = platform.nowMs()
    const core = store.get({ key: decodeKey('core key', coreKey) })
    await core.ready()
    let downloaded = 0
    core.on('download', () => { downloaded++ })
    const progress = setInterval(() => print({ event: 'progress', downloaded, contiguousLength: core.contiguousLength, length: core.length, connections: sockets.size, peers: core.peers.map(peerState) }), PROGRESS_MS)
    await core.download({ start: 0, end: blocks }).done()
    clearInterval(progress)
    print({ event: 'read', ms: platform.nowMs() - started, connectMs: started - connecting, blocks })
  } else {
    throw HarnessError.BAD_OPTION('mode', `unknown mode ${mode} (write, read)`)
  }
}

platform.onFatal((err) => {
  print({ event: 'error', message: (err as Error).message ?? String(err) })
  platform.exit(1)
})
main().catch((err: Error) => {
  print({ event: 'error', message: err.message })
  platform.exit(1)
})
