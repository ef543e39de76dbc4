// Disk-full mode: the node fetches no blocks and takes no new cores while its disk is
// below the reserve, and fetches what it missed when space returns.
import test from 'ava'
import { Refusal } from '../../node/protocol/refusals.ts'
import { coreKey, fakeDevice, keepFrom, keptEntry, OWNER, settle, startKeeper, stateOf } from '../helpers/keeper-fakes.ts'

test('a full disk stops downloads and shows syncing cores as disk-full', async (t) => {
  const k = startKeeper(t)
  const key = coreKey(1)
  t.is(await keepFrom(k, fakeDevice(), key, 10), null)
  t.is(stateOf(k, key), 'syncing')

  k.keeper.setDiskFull(true)

  t.true(k.cores.core(key).ranges[0].destroyed)
  t.is(stateOf(k, key), 'disk-full')
  t.true(k.keeper.status().diskFull)
})

test('a keep while the disk is full is refused DISK_FULL', async (t) => {
  const k = startKeeper(t)
  k.keeper.setDiskFull(true)

  const refused = await keepFrom(k, fakeDevice(), coreKey(1))

  t.deepEqual(refused, Refusal.DISK_FULL())
  t.is(k.cores.open(), 0)
  t.is(k.holdings.size(), 0)
})

test('space returning restarts downloads', async (t) => {
  const k = startKeeper(t)
  const key = coreKey(1)
  t.is(await keepFrom(k, fakeDevice(), key, 10), null)
  k.keeper.setDiskFull(true)

  k.keeper.setDiskFull(false)

  const ranges = k.cores.core(key).ranges
  t.is(ranges.length, 2)
  t.false(ranges[1].destroyed)
  t.is(stateOf(k, key), 'syncing')
  t.false(k.keeper.status().diskFull)
})

test('news of a kept core arriving while the disk is full is fetched when space returns', async (t) => {
  const key = coreKey(1)
  const k = startKeeper(t, {}, [keptEntry(key)])
  k.cores.grow(key, 6)
  k.cores.deliver(key, [0, 1, 2, 3])
  k.keeper.setDiskFull(true)

  k.keeper.onCoreNews(key)
  await settle()
  t.is(k.cores.open(key), 0, 'not fetched while full')

  k.keeper.setDiskFull(false)
  await settle()

  t.is(k.cores.open(key), 1)
  t.is(k.cores.core(key).ranges.length, 1)
  t.is(stateOf(k, key), 'syncing')
})

test('news of a kept core is fetched at once while the disk has room', async (t) => {
  const key = coreKey(1)
  const k = startKeeper(t, {}, [keptEntry(key)])
  k.cores.grow(key, 6)

  k.keeper.onCoreNews(key)
  await settle()

  t.is(k.cores.open(key), 1)
  t.is(k.keeper.holdings(OWNER, false).holdings[0].length, 6)
})

test('a fast download asks for a disk check every 4 MiB', async (t) => {
  const k = startKeeper(t)
  const key = coreKey(1)
  t.is(await keepFrom(k, fakeDevice(), key, 10), null)
  k.cores.core(key).blockBytes = 1024 * 1024

  k.cores.deliver(key, [0, 1, 2])
  t.is(k.diskChecks(), 0)
  k.cores.deliver(key, [3])
  t.is(k.diskChecks(), 1)
})
