import test, { type ExecutionContext } from 'ava'
import crypto from 'hypercore-crypto'
import { decodeReadings, encodeReading, type ReadingRecord } from '../../node/bridge/record.ts'
import { BATCH_FORMAT, countRecords, decodeBlock, encodeBatch, MAX_BLOCK_BYTES, newestRecords } from '../../node/feeds/block.ts'
import { FEED_NAMESPACE, openFeeds, type Feeds } from '../../node/feeds/feeds.ts'
import { openStore, type Store, type StoreCore } from '../../node/storage/corestore.ts'
import { cursorAtLast, readingsFrom, readingsOf } from '../../tools/client/feeds.ts'
import { tmpDir } from '../helpers/tmp.ts'

function reading (n: number, receivedAt = 1_700_000_000_000 + n): ReadingRecord {
  return { topic: 'meter/a', payload: Buffer.from(String(n)), receivedAt, qos: 1, retain: false, decoder: 'number', decodeError: null, packetId: n }
}

function values (readings: ReadingRecord[]): number[] {
  return readings.map((r) => Number(Buffer.from(r.payload).toString()))
}

async function collect<T> (items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = []
  for await (const item of items) all.push(item)
  return all
}

interface MeterFeed { store: Store, feeds: Feeds, core: StoreCore, close (): Promise<void> }

// The "meter" feed of a store in dataDir, closed when the test ends if not before.
async function openMeter (t: ExecutionContext, dataDir: string, feedKey: Uint8Array): Promise<MeterFeed> {
  const store = await openStore(dataDir)
  const feeds = await openFeeds(store, feedKey, ['meter'], { maxBatch: 512, flushMs: 5 })
  let closed = false
  const close = async (): Promise<void> => {
    if (closed) return
    closed = true
    await feeds.close()
    await store.close()
  }
  t.teardown(close)
  return { store, feeds, core: feeds.core('meter')!, close }
}

test('a batch of readings is one block that says how many readings come before it', async (t) => {
  const { feeds, core } = await openMeter(t, tmpDir(t), crypto.randomBytes(32))
  await Promise.all([0, 1, 2].map((n) => feeds.append('meter', encodeReading(reading(n)))))
  await Promise.all([3, 4].map((n) => feeds.append('meter', encodeReading(reading(n)))))
  t.is(core.length, 2)
  t.is(feeds.list()[0].length, 5, 'the feed\'s length counts readings, not blocks')
  const second = decodeBlock((await core.get(1))!)
  t.is(second.first, 3)
  t.deepEqual(values(second.records.map((r) => decodeReadings(r)[0])), [3, 4])
  t.deepEqual(values(await collect(readingsOf({ core }))), [0, 1, 2, 3, 4])
})

test('a feed written one reading a block, by the roost before batching, reads as before and grows in batches', async (t) => {
  const dataDir = tmpDir(t)
  const feedKey = crypto.randomBytes(32)
  // The writer before batching: each reading's record appended as one block of its own.
  const old = await openStore(dataDir)
  const oldCore = old.get({ name: FEED_NAMESPACE + 'meter', encryption: { key: feedKey } })
  await oldCore.ready()
  await oldCore.append([0, 1, 2].map((n) => encodeReading(reading(n))))
  await oldCore.append(encodeReading(reading(3)))
  await oldCore.close()
  await old.close()

  const { feeds, core } = await openMeter(t, dataDir, feedKey)
  t.is(feeds.list()[0].length, 4, 'counted from the old blocks')
  t.deepEqual(decodeBlock((await core.get(3))!), { first: null, records: [(await core.get(3))!] })
  await Promise.all([4, 5, 6].map((n) => feeds.append('meter', encodeReading(reading(n)))))
  t.is(core.length, 5)
  t.is(decodeBlock((await core.get(4))!).first, 4, 'the first batch counts the old readings before it')
  t.is(feeds.list()[0].length, 7)

  t.deepEqual(values(await collect(readingsOf({ core }))), [0, 1, 2, 3, 4, 5, 6])
  t.deepEqual(values(await collect(readingsOf({ core }, { since: reading(5).receivedAt }))), [5, 6], '--since')
  for (const last of [0, 1, 2, 3, 4, 7, 10]) {
    const cursor = await cursorAtLast({ core }, last)
    t.deepEqual(values(await collect(readingsFrom({ core }, cursor))), [0, 1, 2, 3, 4, 5, 6].slice(Math.max(0, 7 - last)), `the last ${last}`)
  }
  const newest = await collect(newestRecords(core, 5))
  t.deepEqual(values(newest.map((r) => decodeReadings(r)[0])), [6, 5, 4, 3, 2], 'newest first, across both layouts')
})

test('after a restart the feed\'s length is known from its last block and the next batch follows it', async (t) => {
  const dataDir = tmpDir(t)
  const feedKey = crypto.randomBytes(32)
  const first = await openMeter(t, dataDir, feedKey)
  await Promise.all([0, 1, 2, 3].map((n) => first.feeds.append('meter', encodeReading(reading(n)))))
  await first.close()
  const again = await openMeter(t, dataDir, feedKey)
  t.is(again.feeds.list()[0].length, 4)
  await again.feeds.append('meter', encodeReading(reading(4)))
  t.is(decodeBlock((await again.core.get(1))!).first, 4)
  t.deepEqual(values(await collect(readingsOf({ core: again.core }))), [0, 1, 2, 3, 4])
})

test('a tail reads each reading once as batches arrive, from where it left off', async (t) => {
  const { feeds, core } = await openMeter(t, tmpDir(t), crypto.randomBytes(32))
  await Promise.all([0, 1, 2].map((n) => feeds.append('meter', encodeReading(reading(n)))))
  const cursor = await cursorAtLast({ core }, 2)
  t.deepEqual(values(await collect(readingsFrom({ core }, cursor))), [1, 2])
  t.deepEqual(values(await collect(readingsFrom({ core }, cursor))), [])
  await Promise.all([3, 4].map((n) => feeds.append('meter', encodeReading(reading(n)))))
  t.deepEqual(values(await collect(readingsFrom({ core }, cursor))), [3, 4])
})

test('a big batch is cut into blocks of at most MAX_BLOCK_BYTES, and a record bigger than that is a block alone', (t) => {
  const small = Array.from({ length: 3000 }, (_, n) => encodeReading(reading(n)))
  const big = encodeReading({ ...reading(3000), payload: Buffer.alloc(MAX_BLOCK_BYTES + 10, 0x31) })
  const records = [...small, big, encodeReading(reading(3001))]
  const blocks = encodeBatch(100, records)
  t.true(blocks.length > 2)
  let next = 100
  const back: Uint8Array[] = []
  for (const block of blocks) {
    const { first, records: inBlock } = decodeBlock(block)
    t.is(first, next)
    next += inBlock.length
    back.push(...inBlock)
    if (inBlock.length > 1) t.true(block.byteLength <= MAX_BLOCK_BYTES + 16, `${block.byteLength} bytes`)
  }
  t.is(back.length, records.length)
  t.true(back.every((r, i) => Buffer.compare(r, records[i]) === 0))
  t.true(blocks.some((b) => decodeBlock(b).records.length === 1 && decodeBlock(b).records[0].byteLength === big.byteLength))
})

test('a damaged batch block is malformed, never a wrong reading', (t) => {
  const [block] = encodeBatch(0, [0, 1, 2].map((n) => encodeReading(reading(n))))
  t.is(block[0], BATCH_FORMAT)
  t.throws(() => decodeBlock(block.subarray(0, block.byteLength - 3)), { code: 'MALFORMED' })
  t.throws(() => decodeBlock(new Uint8Array(0)), { code: 'MALFORMED' })
  t.throws(() => decodeBlock(Buffer.from([BATCH_FORMAT, 0, 200, 1, 1])), { code: 'MALFORMED' })
})

test('a feed whose last block is damaged counts its blocks', async (t) => {
  const blocks = [encodeReading(reading(0)), Buffer.from([BATCH_FORMAT, 5])]
  t.is(await countRecords({ length: blocks.length, get: async (i) => blocks[i] }), 2)
  t.is(await countRecords({ length: 0, get: async () => null }), 0)
})
