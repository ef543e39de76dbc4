// The keeper syncs at most maxOpenCores cores at once: the others wait for a slot, and
import b4a from 'b4a'
// no core waits forever, whoever follows the cores that hold the slots.
import test from 'ava'
import { coreKey, fakeDevice, keepFrom, keptEntry, settle, startKeeper, stateOf } from '../helpers/keeper-fakes.ts'

test('every core waiting for a slot gets one, followed or not', async (t) => {
  const k = startKeeper(t, { maxOpenCores: 2 })
  const stays = fakeDevice()
  const leaves = fakeDevice()
  const keys = [1, 2, 3, 4, 5, 6].map(coreKey)
  const refusals: Array<unknown> = []
  const keeps = keys.map((key, i) => keepFrom(k, i < 3 ? stays : leaves, key).then((r) => { refusals.push(r) }))
  await settle()
  leaves.disconnect()
  t.is(k.cores.open(), 2)

  for (let round = 0; round < 10 && keys.some((key) => stateOf(k, key) !== 'held'); round++) {
    for (const key of keys) if (k.cores.open(key) > 0) k.cores.deliver(key, [0, 1, 2, 3])
    await k.clock.advance(1000)
  }
  await Promise.race([Promise.all(keeps), settle()])

  t.deepEqual(refusals, keys.map(() => null), 'every keep was accepted')
  t.deepEqual(keys.map((key) => stateOf(k, key)), keys.map(() => 'held'))
  t.is(k.cores.mostOpen(), 2, 'never more than maxOpenCores syncs')
})

test('a held core gives its slot to a waiting one', async (t) => {
  const k = startKeeper(t, { maxOpenCores: 1 })
  const device = fakeDevice()
  const a = coreKey(1)
  const b = coreKey(2)
  t.is(await keepFrom(k, device, a), null)
  let bKept: unknown
  void keepFrom(k, device, b).then((r) => { bKept = r })
  await settle()
  t.is(k.cores.open(b), 0, 'b waits while a syncs')

  k.cores.deliver(a, [0, 1, 2, 3])
  await settle()

  t.is(stateOf(k, a), 'held')
  t.is(k.cores.open(a), 0, 'a, though followed, gave its slot up')
  t.is(k.cores.open(b), 1)
  t.is(bKept, null)
})

test('one device keeping more cores than there are slots does not wait for itself', async (t) => {
  const k = startKeeper(t, { maxOpenCores: 2 })
  const device = fakeDevice()
  const [a, b, c] = [1, 2, 3].map(coreKey)
  for (const key of [a, b]) {
    t.is(await keepFrom(k, device, key), null)
    k.cores.deliver(key, [0, 1, 2, 3])
  }
  await settle()
  t.deepEqual([stateOf(k, a), stateOf(k, b)], ['held', 'held'])
  t.is(k.cores.open(), 2, 'held cores the device follows stay open')

  let cKept: unknown = 'waiting'
  void keepFrom(k, device, c).then((r) => { cKept = r })
  await settle()

  t.is(cKept, null)
  t.is(k.cores.open(c), 1)
  t.is(k.cores.open(), 2, 'a followed held core made room')
})

test('making room closes a held core nobody follows before a followed one', async (t) => {
  const k = startKeeper(t, { maxOpenCores: 2 })
  const stays = fakeDevice()
  const leaves = fakeDevice()
  const [a, b, c] = [1, 2, 3].map(coreKey)
  t.is(await keepFrom(k, stays, a), null)
  t.is(await keepFrom(k, leaves, b), null)
  k.cores.deliver(a, [0, 1, 2, 3])
  k.cores.deliver(b, [0, 1, 2, 3])
  leaves.disconnect()
  await settle()

  void keepFrom(k, stays, c)
  await settle()

  t.is(k.cores.open(a), 1, 'the followed core stays')
  t.is(k.cores.open(b), 0, 'the unfollowed one went, before its linger ran out')
  t.is(k.cores.open(c), 1)
})

test('a kept core that is not complete is opened by the first retry round after a restart, a held one is not', async (t) => {
  const missing = coreKey(1)
  const held = coreKey(2)
  const k = startKeeper(t, {}, [keptEntry(missing, { held: 2, state: 'syncing' }), keptEntry(held)])
  k.cores.grow(missing, 4)
  k.cores.deliver(missing, [0, 1])
  t.is(k.cores.open(), 0)

  await k.clock.advance(0)

  t.is(k.cores.open(missing), 1)
  t.is(k.cores.core(missing).ranges.length, 1, 'its download started')
  t.is(k.cores.open(held), 0)
})

test('closing the keeper refuses a keep that waits for a slot with CLOSING, without opening or recording its core', async (t) => {
  const k = startKeeper(t, { maxOpenCores: 1 })
  const device = fakeDevice()
  t.is(await keepFrom(k, device, coreKey(1)), null)
  let waited: unknown = 'waiting'
  void keepFrom(k, device, coreKey(2)).then((r) => { waited = r })
  await settle()
  t.is(waited, 'waiting')

  await k.keeper.close()
  await settle()

  t.is(k.cores.open(coreKey(2)), 0)
  t.like(waited, { code: 'CLOSING' }, 'the keep ended with a refusal instead of hanging or being accepted')
  t.is(k.holdings.get(b4a.toString(coreKey(2), 'hex')), undefined)
})
