// The retry round: a core whose download has stopped moving gets a fresh range and a new
// source lookup (hypercore 11.37 stops asking after a failed write); one that moves does not.
import test from 'ava'
import { RETRY_MS } from '../../node/storage/watchdog.ts'
import { coreKey, fakeDevice, hex, keepFrom, startKeeper, stateOf } from '../helpers/keeper-fakes.ts'

test('a core with no new block for STALL_MS gets a fresh download range and a new lookup', async (t) => {
  const k = startKeeper(t)
  const stalled = coreKey(1)
  const moving = coreKey(2)
  const device = fakeDevice()
  t.is(await keepFrom(k, device, stalled, 10), null)
  t.is(await keepFrom(k, device, moving, 10), null)
  k.cores.deliver(stalled, [0, 1, 2, 3, 4, 6])
  await k.clock.advance(1000)
  const lookups = (key: Uint8Array): number => k.dht.lookups.filter((dk) => dk === hex(k.cores.core(key).discoveryKey)).length
  t.is(lookups(stalled), 1, 'looked up once when it opened')

  // The moving core gets a block every 5 s; the stalled one none.
  for (let i = 0; i < RETRY_MS / 5000; i++) {
    k.cores.deliver(moving, [i])
    await k.clock.advance(5000)
  }

  const ranges = k.cores.core(stalled).ranges
  t.is(ranges.length, 2)
  t.true(ranges[0].destroyed, 'the old range is destroyed')
  t.false(ranges[1].destroyed, 'a new one asks for the blocks')
  t.is(lookups(stalled), 2)
  t.like(k.events.find((e) => e.event === 'sync-stalled'), { held: 5, length: 10 })
  t.is(stateOf(k, stalled), 'syncing')

  t.is(k.cores.core(moving).ranges.length, 1, 'the moving core keeps its range')
  t.false(k.cores.core(moving).ranges[0].destroyed)
  t.is(lookups(moving), 1)
})

test('a stalled core is not restarted while the disk is full', async (t) => {
  const k = startKeeper(t)
  const key = coreKey(1)
  t.is(await keepFrom(k, fakeDevice(), key, 10), null)
  k.cores.deliver(key, [0, 2])
  k.keeper.setDiskFull(true)

  await k.clock.advance(RETRY_MS)

  t.is(k.cores.core(key).ranges.length, 1)
  t.false(k.events.some((e) => e.event === 'sync-stalled'))
})
