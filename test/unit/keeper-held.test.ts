// The node says in its log each time it holds all of a kept core it knows of.
import test from 'ava'
import { coreKey, fakeDevice, keepFrom, settle, startKeeper, stateOf } from '../helpers/keeper-fakes.ts'

test('core-held is logged at the new length when the last block and the news of it arrive together', async (t) => {
  const k = startKeeper(t)
  const key = coreKey(1)
  t.is(await keepFrom(k, fakeDevice(), key, 4), null)
  k.cores.grow(key, 4)
  k.cores.deliver(key, [0, 1, 2, 3])
  await settle()
  t.is(stateOf(k, key), 'held')
  // The writer appends one block; the node learns the length as the block itself arrives.
  k.cores.core(key).length = 5
  k.cores.deliver(key, [4])
  await settle()
  const held = k.events.filter((e) => e.event === 'core-held').map((e) => e.length)
  t.deepEqual(held, [4, 5])
})
