// Whether a keep request is let in: its plausibility, the disk, the owner's quota and the
// node's budget, and which evictable cores go to make room.
import test from 'ava'
import { Refusal } from '../../node/protocol/refusals.ts'
import { admitNew, decideKeep, implausible, type Limits } from '../../node/storage/admission.ts'
import type { HoldingEntry } from '../../node/storage/holdings.ts'
import { coreKey, fakeDevice, hex, keepFrom, keptEntry, OWNER, startKeeper } from '../helpers/keeper-fakes.ts'

const LIMITS: Limits = { quotaBytes: 10_000, quotaCores: 10, budgetBytes: 500 }

function held (n: number, fields: Partial<HoldingEntry>): HoldingEntry {
  return keptEntry(coreKey(n), { byteLength: 100, ...fields })
}

const ask = { key: hex(coreKey(99)), owner: 'someone', byteLength: 300 }

test('to fit the budget only evictable cores go, least recently synced first, then oldest added', (t) => {
  const cores = [
    held(1, { evictable: true, lastSyncMs: 300, addedAt: 1 }),
    held(2, { evictable: true, lastSyncMs: 100, addedAt: 5 }),
    held(3, { evictable: true, lastSyncMs: 100, addedAt: 2 }),
    held(4, { evictable: false, lastSyncMs: 0, addedAt: 0 }),
    held(5, { evictable: true, lastSyncMs: 200, addedAt: 3, byteLength: 100 })
  ]

  const decision = decideKeep(ask, cores, LIMITS)

  t.true(decision.ok)
  if (decision.ok) t.deepEqual(decision.evict.map((e) => e.key), [3, 2, 5].map((n) => hex(coreKey(n))))
})

test('a core that fits the budget only by dropping a core that is not evictable is refused BUDGET_FULL', (t) => {
  const cores = [held(1, { evictable: false, byteLength: 300 }), held(2, { evictable: true, byteLength: 100 })]

  const decision = decideKeep(ask, cores, LIMITS)

  t.deepEqual(decision, { ok: false, refused: Refusal.BUDGET_FULL(500, 300) })
})

test('an owner at its core limit is refused QUOTA_CORES', (t) => {
  const cores = [1, 2].map((n) => held(n, { owner: 'someone', byteLength: 1 }))

  const decision = decideKeep(ask, cores, { ...LIMITS, quotaCores: 2 })

  t.deepEqual(decision, { ok: false, refused: Refusal.QUOTA_CORES(2, 2) })
})

test('a core over the owner\'s byte quota is refused QUOTA_BYTES', (t) => {
  const cores = [held(1, { owner: 'someone', byteLength: 150 })]

  const decision = decideKeep(ask, cores, { ...LIMITS, quotaBytes: 400 })

  t.deepEqual(decision, { ok: false, refused: Refusal.QUOTA_BYTES(300, 150, 400) })
})

test('a new core is refused DISK_FULL while the disk is full, without asking for the free space', (t) => {
  const decision = admitNew(ask, { full: true, room: () => t.fail('free space asked') as never }, [], LIMITS)

  t.deepEqual(decision, { ok: false, refused: Refusal.DISK_FULL() })
})

test('a new core bigger than the room above the reserve is refused with code DISK_FULL', (t) => {
  const decision = admitNew(ask, { full: false, room: () => 200 }, [], LIMITS)

  t.deepEqual(decision, { ok: false, refused: Refusal.NO_ROOM(200, 300) })
  t.false(decision.ok)
  if (!decision.ok) t.is(decision.refused.code, 'DISK_FULL')
})

test('a core of more than 2^32 blocks is refused BAD_REQUEST', (t) => {
  t.is(implausible({ length: 2 ** 32 + 1, byteLength: 0 })?.code, 'BAD_REQUEST')
  t.is(implausible({ length: 2 ** 32, byteLength: 2 ** 50 }), null)
})

test('a keep that needs room drops the evictable cores, oldest synced first, and keeps the others', async (t) => {
  const [old, newer, pinned, asked] = [1, 2, 3, 4].map(coreKey)
  const k = startKeeper(t, { budgetBytes: 1000 }, [
    keptEntry(newer, { evictable: true, lastSyncMs: 20, byteLength: 400 }),
    keptEntry(old, { evictable: true, lastSyncMs: 10, byteLength: 400 }),
    keptEntry(pinned, { evictable: false, lastSyncMs: 0, byteLength: 200 })
  ])

  t.is(await keepFrom(k, fakeDevice(), asked, 4), null)

  t.deepEqual(k.events.filter((e) => e.event === 'evicted').map((e) => e.byteLength), [400])
  t.is(k.holdings.get(hex(old)), undefined, 'the least recently synced evictable core went')
  t.true(k.cores.core(old).cleared)
  t.truthy(k.holdings.get(hex(newer)))
  t.truthy(k.holdings.get(hex(pinned)))
  t.is(k.cores.compacted(), 1)
  t.deepEqual(k.holdings.persisted.at(-1), [hex(old), hex(asked)])
})

test('a keep the budget cannot fit is refused BUDGET_FULL and opens nothing', async (t) => {
  const k = startKeeper(t, { budgetBytes: 1000 }, [keptEntry(coreKey(1), { byteLength: 800 })])

  const refused = await k.keeper.keep(OWNER, { key: coreKey(2), length: 4, byteLength: 400, evictable: false }, fakeDevice())

  t.deepEqual(refused, Refusal.BUDGET_FULL(1000, 400))
  t.is(k.cores.open(), 0)
})
