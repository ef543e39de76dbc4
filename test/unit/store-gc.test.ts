// The node's corestore does not close a core under a peer that is replicating it. A
// core whose last session has closed is closed by corestore's gc four strikes (2 s
// apart) later; a peer that connects meanwhile gets the core attached while hypercore
// still calls it "downloading" (for 20–40 s after its last session), and was cut off at
// the fourth strike for good: the bench's reader fetching from the storage peer 3–11 s
// after the writer left stopped with most blocks fetched. The strikes are driven here
// by hand instead of corestore's 2 s timer.
import path from 'node:path'
import test from 'ava'
import b4a from 'b4a'
import Corestore from 'corestore'
import { openStore } from '../../node/storage/corestore.ts'
import { until, withDeadline } from '../../tools/harness/wait.ts'
import { tmpDir } from '../helpers/tmp.ts'

interface GcCore { closing: Promise<void> | null, gc: number, replicator: { peers: unknown[] } }
interface GcTracker { _gcing: Set<GcCore>, _gcCycleBound (): void, get (id: string): GcCore | null }
interface Core {
  key: Uint8Array
  discoveryKey: Uint8Array
  length: number
  contiguousLength: number
  peers: unknown[]
  ready (): Promise<void>
  append (blocks: Uint8Array[]): Promise<unknown>
  download (range: { start: number, end: number }): { done (): Promise<void> }
  close (): Promise<void>
}
interface AnyStore { get (opts: Record<string, unknown>): Core, replicate (isInitiator: boolean): Duplex, close (): Promise<void>, cores: GcTracker }
interface Duplex { pipe (to: Duplex): Duplex, destroy (): void }

const BLOCKS = 64

test('a core a peer starts to replicate while it waits for corestore\'s gc stays open under that peer', async (t) => {
  const dir = tmpDir(t)
  const node = await openStore(dir) as unknown as AnyStore
  const reader = new (Corestore as unknown as new (dir: string) => AnyStore)(path.join(dir, 'reader'))
  t.teardown(async () => { await reader.close(); await node.close() })

  // The node's core, written and then left by its last session (as a kept core is
  // once its sync closes): idle, with the gc's first strike on it.
  const written = node.get({ name: 'kept' })
  await written.ready()
  await written.append(Array.from({ length: BLOCKS }, (_, i) => b4a.alloc(64 * 1024, i)))
  const key = written.key
  const id = b4a.toString(written.discoveryKey, 'hex')
  await written.close()
  const core = node.cores.get(id)!
  t.true(node.cores._gcing.has(core), 'the core waits for the gc')

  // A reader connects now.
  const a = node.replicate(true)
  const b = reader.replicate(false)
  a.pipe(b).pipe(a)
  t.teardown(() => { a.destroy(); b.destroy() })
  const copy = reader.get({ key })
  await copy.ready()
  await until('the reader\'s channel to the node', () => copy.peers.length === 1 ? true : undefined, 10_000, 10)

  // The three strikes that close an idle core.
  for (let i = 0; i < 3; i++) node.cores._gcCycleBound()

  // It fetches every block from the node.
  await withDeadline('every block at the reader', copy.download({ start: 0, end: BLOCKS }).done(), 10_000)
  t.is(copy.contiguousLength, BLOCKS)
  t.is(core.closing, null, 'the gc has not closed the core the reader replicates')
})
