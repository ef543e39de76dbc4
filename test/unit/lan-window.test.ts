// Which readings of a device are stored (window.ts), and how that survives a restart or
// a crash between append and acknowledgement (state.ts): rebuilt from the journal and,
// for a reading whose append a crash cut off from its done mark, from the feed's most
// recent records.
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import crypto from 'hypercore-crypto'
import { encodeReading } from '../../node/bridge/record.ts'
import { createFeeds, type Feeds } from '../../node/feeds/feeds.ts'
import { loadLanState, readingHash, STATE_DIR } from '../../node/lan/state.ts'
import { BELOW, createWindow, MAX_AHEAD } from '../../node/lan/window.ts'
import { openStore, type Store } from '../../node/storage/corestore.ts'
import { tmpDir } from '../helpers/tmp.ts'

test('in order: each new sequence number is new once, then stored', (t) => {
  const w = createWindow()
  for (let s = 1; s <= 2000; s++) {
    t.is(w.place(s), 'new')
    w.mark(s)
    t.is(w.place(s), 'stored')
  }
  t.is(w.highest(), 2000)
})

test('out of order within the window: gaps stay new until they come', (t) => {
  const w = createWindow()
  w.mark(10)
  t.is(w.place(5), 'new')
  w.mark(5)
  t.deepEqual([4, 5, 6, 9, 10, 11].map((s) => w.place(s)), ['new', 'stored', 'new', 'new', 'stored', 'new'])
  t.is(w.highest(), 10)
})

test('older than the highest and the 1,024 below it: too old, stored or not', (t) => {
  const w = createWindow()
  w.mark(100)
  w.mark(2000)
  t.is(w.place(2000 - BELOW), 'new')
  t.is(w.place(2000 - BELOW - 1), 'too-old')
  t.is(w.place(100), 'too-old')
  w.mark(2000 - BELOW - 1)
  t.is(w.place(2000 - BELOW - 1), 'too-old', 'marking a number out of the window changes nothing')
})

test('more than 2^20 past the highest stored: far in the future', (t) => {
  const w = createWindow()
  t.is(w.place(MAX_AHEAD), 'new')
  t.is(w.place(MAX_AHEAD + 1), 'far-future')
  w.mark(500)
  t.is(w.place(500 + MAX_AHEAD + 1), 'far-future')
})

test('an agent numbering from 1 again after a lost queue: its numbers are held or too old; past the highest, where it renumbers to, is new', (t) => {
  const w = createWindow()
  for (let s = 1; s <= 3008; s++) w.mark(s)
  // Held: the node acknowledges them as stored; too old: it answers with an empty
  // acknowledgement. Either carries the highest, 3008, which tells the agent to renumber.
  t.deepEqual([1, 1983, 1984, 3008].map((s) => w.place(s)), ['too-old', 'too-old', 'stored', 'stored'])
  t.is(w.highest(), 3008)
  t.is(w.place(w.highest() + 1), 'new', 'the renumbered readings are within reach of the far-future guard')
  t.is(w.place(w.highest() + 4096), 'new')
})

test('a slot passed over belongs to its new number: an old mark never makes a new reading look stored', (t) => {
  const w = createWindow()
  w.mark(2)
  w.mark(1000)
  // 1027 shares 2's slot in the ring.
  t.is(w.place(1027), 'new')
  w.mark(1027)
  t.is(w.place(1027), 'stored')
  t.is(w.place(1026), 'new')
  // A jump past the whole ring forgets every mark.
  w.mark(1027 + 5000)
  t.is(w.place(1027 + 5000 - 3), 'new')
})

test('a window saved and loaded places every number as before', (t) => {
  const w = createWindow()
  for (const s of [3, 7, 900, 1500, 1501, 1900]) w.mark(s)
  const again = createWindow(JSON.parse(JSON.stringify(w.save())))
  for (let s = 1; s <= 2100; s++) t.is(again.place(s), w.place(s), String(s))
})

// A store with the "meter" feed, closed when the test ends.
async function meterFeeds (t: import('ava').ExecutionContext, dataDir: string): Promise<{ store: Store, feeds: Feeds }> {
  const store = await openStore(dataDir)
  const feeds = createFeeds(store, crypto.randomBytes(32))
  await feeds.open(['meter'], { maxBatch: 64, flushMs: 1 })
  t.teardown(async () => {
    await feeds.close()
    await store.close()
  })
  return { store, feeds }
}

const A = '0123456789abcdef'
const B = 'fedcba9876543210'

function record (sequence: number, value: string): Uint8Array {
  return encodeReading({ topic: 'meter/a', payload: Buffer.from(value), receivedAt: 1, qos: 1, retain: false, decoder: 'number', decodeError: null, packetId: sequence })
}

test('stored readings are known again after a clean restart and after a kill, from the journal', async (t) => {
  const dataDir = tmpDir(t)
  const { feeds } = await meterFeeds(t, dataDir)
  let state = await loadLanState(dataDir, feeds, ['meter'])
  state.intend([{ deviceId: A, sequence: 1, hash: readingHash('meter/a', Buffer.from('1')) }])
  state.stored([{ deviceId: A, sequence: 1 }])
  state.close()
  state = await loadLanState(dataDir, feeds, ['meter'])
  t.is(state.window(A).place(1), 'stored')
  // Killed: no close, so no snapshot; the done mark is in the journal.
  state.intend([{ deviceId: A, sequence: 2, hash: readingHash('meter/a', Buffer.from('2')) }])
  state.stored([{ deviceId: A, sequence: 2 }])
  state = await loadLanState(dataDir, feeds, ['meter'])
  t.deepEqual([1, 2, 3].map((s) => state.window(A).place(s)), ['stored', 'stored', 'new'])
  state.close()
})

test('a reading appended but never marked done is found in the feed; one never appended is new', async (t) => {
  const dataDir = tmpDir(t)
  const { feeds } = await meterFeeds(t, dataDir)
  const state = await loadLanState(dataDir, feeds, ['meter'])
  const hash3 = readingHash('meter/a', Buffer.from('3'))
  state.intend([{ deviceId: A, sequence: 3, hash: hash3 }, { deviceId: A, sequence: 4, hash: readingHash('meter/a', Buffer.from('4')) }])
  // The crash comes after reading 3's append and before its done mark; 4 never got appended.
  await feeds.append('meter', record(3, '3'))
  const after = await loadLanState(dataDir, feeds, ['meter'])
  t.deepEqual(after.heldBy(A, 3, hash3), ['meter'])
  t.is(after.heldBy(A, 3, readingHash('meter/a', Buffer.from('other'))), null, 'a reading sent under that number with other content is not it')
  t.is(after.heldBy(A, 4, readingHash('meter/a', Buffer.from('4'))), null)
  t.is(after.window(A).place(3), 'new', 'placed by the window as new, and held: acknowledged without a second append')
  // Still known after another restart, without looking at the feed again.
  after.close()
  const again = await loadLanState(dataDir, feeds, ['meter'])
  t.deepEqual(again.heldBy(A, 3, hash3), ['meter'])
  again.stored([{ deviceId: A, sequence: 3 }])
  t.is(again.heldBy(A, 3, hash3), null)
  t.is(again.window(A).place(3), 'stored')
  again.close()
})

test('two devices\' readings alike in number, topic and payload: one record counts for one of them', async (t) => {
  const dataDir = tmpDir(t)
  const { feeds } = await meterFeeds(t, dataDir)
  const state = await loadLanState(dataDir, feeds, ['meter'])
  const hash = readingHash('meter/a', Buffer.from('7'))
  state.intend([{ deviceId: A, sequence: 7, hash }, { deviceId: B, sequence: 7, hash }])
  await feeds.append('meter', record(7, '7'))
  const after = await loadLanState(dataDir, feeds, ['meter'])
  t.deepEqual([after.heldBy(A, 7, hash), after.heldBy(B, 7, hash)].map((h) => h?.length ?? 0).sort(), [0, 1])
  after.close()
})

test('a journal entry cut short is left out; a damaged snapshot is refused, not forgotten', async (t) => {
  const dataDir = tmpDir(t)
  const { feeds } = await meterFeeds(t, dataDir)
  const state = await loadLanState(dataDir, feeds, ['meter'])
  state.intend([{ deviceId: A, sequence: 1, hash: readingHash('meter/a', Buffer.from('1')) }])
  state.stored([{ deviceId: A, sequence: 1 }])
  fs.appendFileSync(path.join(dataDir, STATE_DIR, 'journal'), Buffer.from([2, 1, 2, 3]))
  const after = await loadLanState(dataDir, feeds, ['meter'])
  t.is(after.window(A).place(1), 'stored')
  after.close()
  fs.writeFileSync(path.join(dataDir, STATE_DIR, 'windows.json'), '{"version":1,"wind')
  await t.throwsAsync(loadLanState(dataDir, feeds, ['meter']), { code: 'LAN_STATE_CORRUPT' })
})

test('a reading in flight when the journal is folded into the snapshot is still looked for after a crash', async (t) => {
  const dataDir = tmpDir(t)
  const { feeds } = await meterFeeds(t, dataDir)
  const state = await loadLanState(dataDir, feeds, ['meter'])
  const hash = readingHash('meter/a', Buffer.from('5'))
  state.intend([{ deviceId: B, sequence: 5, hash }])
  // Enough other readings stored meanwhile to fold the journal (1 MiB) into the snapshot.
  const others = Array.from({ length: 16_000 }, (_, i) => ({ deviceId: A, sequence: i + 1, hash }))
  state.intend(others)
  state.stored(others)
  t.true(fs.statSync(path.join(dataDir, STATE_DIR, 'journal')).size < 1024, 'folded')
  await feeds.append('meter', record(5, '5'))
  const after = await loadLanState(dataDir, feeds, ['meter'])
  t.deepEqual(after.heldBy(B, 5, hash), ['meter'])
  t.is(after.window(A).place(16_000), 'stored')
  after.close()
})
