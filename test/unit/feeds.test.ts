import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import crypto from 'hypercore-crypto'
import { createBatcher } from '../../node/feeds/batcher.ts'
import { decodeBlock } from '../../node/feeds/block.ts'
import { openFeeds } from '../../node/feeds/feeds.ts'
import { openStore, SMALL_DEVICE_STORAGE } from '../../node/storage/corestore.ts'
import { tmpDir } from '../helpers/tmp.ts'

test('a batcher writes full batches at once and the rest on its timer, in order', async (t) => {
  const batches: number[][] = []
  const batcher = createBatcher<number>(async (items) => { batches.push(items) }, { maxItems: 3, maxDelayMs: 20 })
  const done = [1, 2, 3, 4, 5].map((n) => batcher.add(n))
  await Promise.all(done)
  t.deepEqual(batches, [[1, 2, 3], [4, 5]])
})

test('readings someone waits on are written at the end of the event loop\'s turn, together, not on the timer', async (t) => {
  const batches: number[][] = []
  const batcher = createBatcher<number>(async (items) => { batches.push(items) }, { maxItems: 100, maxDelayMs: 60_000 })
  const started = Date.now()
  await Promise.all([1, 2, 3].map((n) => batcher.add(n, { soon: true })))
  t.deepEqual(batches, [[1, 2, 3]])
  t.true(Date.now() - started < 1000)
})

test('what arrives while a batch is being written goes into the next batch, whole', async (t) => {
  const batches: number[][] = []
  let openGate: () => void = () => {}
  const gate = new Promise<void>((resolve) => { openGate = resolve })
  const batcher = createBatcher<number>(async (items) => {
    batches.push(items)
    await gate
  }, { maxItems: 100, maxDelayMs: 60_000 })
  const first = batcher.add(1, { soon: true })
  await new Promise((resolve) => setImmediate(resolve))
  t.deepEqual(batches, [[1]])
  // Three later turns of the event loop, each with one reading, while [1] is written.
  const later: Array<Promise<void>> = []
  for (const n of [2, 3, 4]) {
    later.push(batcher.add(n, { soon: true }))
    await new Promise((resolve) => setImmediate(resolve))
  }
  t.deepEqual(batches, [[1]], 'one batch at a time')
  openGate()
  await Promise.all([first, ...later])
  t.deepEqual(batches, [[1], [2, 3, 4]])
})

test('flush writes what is queued without waiting for the timer, and close refuses more', async (t) => {
  const batches: number[][] = []
  const batcher = createBatcher<number>(async (items) => { batches.push(items) }, { maxItems: 100, maxDelayMs: 60_000 })
  const added = [batcher.add(1), batcher.add(2)]
  await batcher.flush()
  t.deepEqual(batches, [[1, 2]])
  await Promise.all(added)
  await batcher.close()
  await t.throwsAsync(batcher.add(3), { code: 'FEED_CLOSED' })
})

test('a failed batch rejects every caller in it, so nothing failed is acknowledged', async (t) => {
  const batcher = createBatcher<number>(async () => { throw new Error('disk full') }, { maxItems: 10, maxDelayMs: 5 })
  const results = await Promise.allSettled([batcher.add(1), batcher.add(2)])
  t.deepEqual(results.map((r) => r.status), ['rejected', 'rejected'])
})

test('a failed batch fails only its own callers: the next batch is written and its callers hear so', async (t) => {
  const written: number[][] = []
  const batcher = createBatcher<number>(async (items) => {
    if (items.includes(1)) throw new Error('disk full')
    written.push(items)
  }, { maxItems: 2, maxDelayMs: 5 })
  const results = await Promise.allSettled([1, 2, 3, 4, 5].map((n) => batcher.add(n)))
  t.deepEqual(results.map((r) => r.status), ['rejected', 'rejected', 'fulfilled', 'fulfilled', 'fulfilled'])
  t.deepEqual(written, [[3, 4], [5]])
})

test('feeds are encrypted hypercores: appended readings are stored but never in plaintext', async (t) => {
  const storage = tmpDir(t)
  const store = await openStore(storage)
  const feedKey = crypto.randomBytes(32)
  const feeds = await openFeeds(store, feedKey, ['climate'], { maxBatch: 64, flushMs: 5 })
  const marker = 'kitchen-temperature-marker-8d1f'
  await Promise.all(Array.from({ length: 20 }, (_, i) => feeds.append('climate', Buffer.from(`${marker} ${i}`))))
  const [info] = feeds.list()
  t.is(info.name, 'climate')
  t.is(info.length, 20)
  t.is(Buffer.from(decodeBlock((await feeds.core('climate')!.get(0))!).records[7]).toString(), `${marker} 7`)
  await feeds.close()
  await store.close()

  const found = scan(storage, Buffer.from(marker))
  t.deepEqual(found, [], 'no file of the store may contain the plaintext')
})

test('a feed keeps its key and readings across restarts', async (t) => {
  const storage = tmpDir(t)
  const feedKey = crypto.randomBytes(32)
  let store = await openStore(storage)
  let feeds = await openFeeds(store, feedKey, ['climate'], { maxBatch: 64, flushMs: 5 })
  await feeds.append('climate', Buffer.from('one'))
  const key = feeds.list()[0].key
  await feeds.close()
  await store.close()
  store = await openStore(storage)
  feeds = await openFeeds(store, feedKey, ['climate'], { maxBatch: 64, flushMs: 5 })
  t.deepEqual(feeds.list()[0].key, key)
  t.is(feeds.list()[0].length, 1)
  await feeds.close()
  await store.close()
})

test('openStore hands the small-device settings to rocksdb itself', async (t) => {
  const storage = tmpDir(t)
  const store = await openStore(storage)
  await store.close()
  // rocksdb writes the options it runs with next to its data.
  const db = path.join(storage, 'cores', 'db')
  const latest = fs.readdirSync(db).filter((f) => f.startsWith('OPTIONS-')).sort().pop()!
  const options = fs.readFileSync(path.join(db, latest), 'utf8')
  const values = (name: string): string[] => [...options.matchAll(new RegExp(`^\\s*${name}=(.*)$`, 'gm'))].map((m) => m[1])
  t.deepEqual(values('max_background_jobs'), [String(SMALL_DEVICE_STORAGE.maxBackgroundJobs)])
  // Both column families: rocksdb's default one and hypercore-storage's.
  t.deepEqual(values('write_buffer_size'), [String(SMALL_DEVICE_STORAGE.writeBufferSize), String(SMALL_DEVICE_STORAGE.writeBufferSize)])
  t.deepEqual(values('no_block_cache'), ['true', 'true'])
})

test('openStore gives rocksdb the memtable size a board config asks for', async (t) => {
  const storage = tmpDir(t)
  const store = await openStore(storage, { memtableBytes: 16 * 1024 * 1024 })
  await store.close()
  const db = path.join(storage, 'cores', 'db')
  const latest = fs.readdirSync(db).filter((f) => f.startsWith('OPTIONS-')).sort().pop()!
  const sizes = [...fs.readFileSync(path.join(db, latest), 'utf8').matchAll(/^\s*write_buffer_size=(.*)$/gm)].map((m) => m[1])
  t.deepEqual(sizes, [String(16 * 1024 * 1024), String(16 * 1024 * 1024)])
})

function scan (dir: string, needle: Buffer): string[] {
  const hits: string[] = []
  for (const name of fs.readdirSync(dir, { recursive: true }) as string[]) {
    const file = path.join(dir, name)
    if (fs.statSync(file).isFile() && fs.readFileSync(file).includes(needle)) hits.push(name)
  }
  return hits
}
