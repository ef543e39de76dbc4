// The storage peer's record of what it keeps: acknowledged changes are one journal line
// each and survive a crash (here: loading again without close or save), a crash while
// a line is written loses only that unacknowledged line, damage stops loading with the
// file and line, and a full disk while journaling leaves nothing half-written.
import fs from 'node:fs'
import path from 'node:path'
import test from 'ava'
import { HOLDINGS_FILE, JOURNAL_FILE, loadHoldings, type HoldingEntry } from '../../node/storage/holdings.ts'
import { mountTmpfs } from '../helpers/tmpfs.ts'
import { tmpDir } from '../helpers/tmp.ts'

function entry (n: number, owner = 'owner-a'): HoldingEntry {
  return {
    key: n.toString(16).padStart(64, '0'), owner, evictable: false, addedAt: 1000 + n,
    length: n, held: 0, byteLength: 100 * n, lastSyncMs: 0, state: 'syncing'
  }
}

test('a persisted change is there after a crash, without the whole file being written', (t) => {
  const dir = tmpDir(t)
  const h = loadHoldings(dir)
  for (let i = 1; i <= 3; i++) {
    h.set(entry(i))
    h.persist([entry(i).key])
  }
  t.false(fs.existsSync(path.join(dir, HOLDINGS_FILE)), 'only the journal was written')
  t.is(fs.statSync(path.join(dir, JOURNAL_FILE)).mode & 0o777, 0o600)
  h.delete(entry(2).key)
  h.persist([entry(2).key])

  // No close, no save: what a crash leaves.
  const again = loadHoldings(dir)
  t.deepEqual(again.all().map((e) => e.key).sort(), [entry(1).key, entry(3).key])
  t.deepEqual(again.get(entry(3).key), entry(3))
  again.close()
  h.close()
})

test('a core asked for and not yet accepted is never written', (t) => {
  const dir = tmpDir(t)
  const h = loadHoldings(dir)
  h.set({ ...entry(1), pending: true })
  h.persist([entry(1).key])
  h.save()
  t.is(loadHoldings(dir).get(entry(1).key), undefined)
  h.close()
})

test('a save writes every entry, progress included, and empties the journal', (t) => {
  const dir = tmpDir(t)
  const h = loadHoldings(dir)
  h.set(entry(1))
  h.set(entry(2, 'owner-b'))
  h.persist([entry(1).key, entry(2).key])
  h.get(entry(1).key)!.held = 1
  h.get(entry(1).key)!.state = 'held'
  h.save()
  t.is(fs.readFileSync(path.join(dir, JOURNAL_FILE), 'utf8'), '')
  t.is(fs.statSync(path.join(dir, HOLDINGS_FILE)).mode & 0o777, 0o600)
  h.set(entry(3))
  h.persist([entry(3).key])
  h.close()

  const again = loadHoldings(dir)
  t.is(again.size(), 3)
  t.is(again.get(entry(1).key)!.state, 'held')
  t.deepEqual(again.usageOf('owner-a'), { cores: 2, bytes: 100 + 300 })
  t.deepEqual(again.usageOf('owner-b'), { cores: 1, bytes: 200 })
})

test('a line cut short by a crash while it was written is ignored; a damaged line before others stops loading', (t) => {
  const dir = tmpDir(t)
  const h = loadHoldings(dir)
  h.set(entry(1))
  h.persist([entry(1).key])
  h.close()
  const journal = path.join(dir, JOURNAL_FILE)
  const good = fs.readFileSync(journal, 'utf8')
  fs.writeFileSync(journal, good + JSON.stringify({ set: entry(2) }).slice(0, 40))
  t.deepEqual(loadHoldings(dir).all().map((e) => e.key), [entry(1).key])

  fs.writeFileSync(journal, '{"set": {broken\n' + good)
  const err = t.throws(() => loadHoldings(dir)) as Error & { code?: string }
  t.is(err.code, 'HOLDINGS_CORRUPT')
  t.true(err.message.includes(`${journal}:1`), err.message)
  t.is(fs.readFileSync(journal, 'utf8'), '{"set": {broken\n' + good, 'loading changed nothing')
})

test('a damaged holdings file stops loading with a typed error', (t) => {
  const dir = tmpDir(t)
  fs.writeFileSync(path.join(dir, HOLDINGS_FILE), '{"version":1,"cores":[')
  const err = t.throws(() => loadHoldings(dir)) as Error & { code?: string }
  t.is(err.code, 'HOLDINGS_CORRUPT')
})

test('a full disk while journaling fails the change and leaves no half-written line', (t) => {
  const dir = mountTmpfs(t, 64 * 1024)
  if (!dir) return
  const h = loadHoldings(dir)
  h.set(entry(1))
  h.persist([entry(1).key])
  const before = fs.readFileSync(path.join(dir, JOURNAL_FILE), 'utf8')
  // Fill the filesystem up but for two pages, then ask for a change of four: the
  // write gets half of it on disk before it fails.
  const filler = path.join(dir, 'filler')
  const fd = fs.openSync(filler, 'w')
  try {
    for (;;) fs.writeSync(fd, Buffer.alloc(4096))
  } catch (err) {
    t.is((err as { code?: string }).code, 'ENOSPC')
  } finally {
    fs.closeSync(fd)
  }
  fs.truncateSync(filler, fs.statSync(filler).size - 8192)
  const big = { ...entry(2), owner: 'x'.repeat(16 * 1024) }
  h.set(big)
  const err = t.throws(() => h.persist([big.key])) as Error & { code?: string }
  t.is(err.code, 'ENOSPC')
  t.is(fs.readFileSync(path.join(dir, JOURNAL_FILE), 'utf8'), before)

  // Space comes back: the next change is recorded, and the file loads.
  fs.rmSync(filler)
  h.persist([big.key])
  h.close()
  t.deepEqual(loadHoldings(dir).all().map((e) => e.key).sort(), [entry(1).key, entry(2).key])
})
