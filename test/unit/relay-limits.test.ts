// The relay's per-key bookkeeping (node/relay/limits.ts) and the choice of relays a
// connection names (node/network/relays.ts), on a clock and a DHT the test drives.
import { EventEmitter } from 'node:events'
import test from 'ava'
import type HyperDHT from 'hyperdht'
import { BURST_SECONDS, COOL_DOWN_MS, peerLimits } from '../../node/relay/limits.ts'
import { isPunchFailure, useRelays } from '../../node/network/relays.ts'

const KIB = 1024

test('a key may hold its most sessions at once; one more is refused until one closes', (t) => {
  const limits = peerLimits({ sessionsPerPeer: 2, bytesPerSecondPerPeer: 64 * KIB })
  t.is(limits.admit('a', 0), null)
  limits.opened('a')
  limits.opened('a')
  t.is(limits.admit('a', 0), 'sessions')
  t.is(limits.admit('b', 0), null, 'other keys have their own count')
  limits.closed('a')
  t.is(limits.admit('a', 0), null)
  t.is(limits.sessions('a'), 1)
})

test('a key may send a burst of a few seconds of its rate, then no more than its rate; over it, it is cut and refused for the cool-down', (t) => {
  const rate = 64 * KIB
  const limits = peerLimits({ sessionsPerPeer: 4, bytesPerSecondPerPeer: rate })
  limits.opened('a')
  t.false(limits.sent('a', rate * BURST_SECONDS, 0), 'the burst')
  // Then the rate, second after second.
  for (let s = 1; s <= 10; s++) t.false(limits.sent('a', rate, s * 1000), `second ${s}`)
  t.true(limits.sent('a', rate * 2, 11_000), 'twice the rate')
  t.is(limits.admit('a', 11_000 + COOL_DOWN_MS - 1), 'rate')
  t.is(limits.admit('a', 11_000 + COOL_DOWN_MS), null)
  t.false(limits.sent('a', rate, 11_000 + COOL_DOWN_MS), 'starts afresh after the cool-down')
})

test('a key with nothing open starts with a full burst again', (t) => {
  const limits = peerLimits({ sessionsPerPeer: 4, bytesPerSecondPerPeer: KIB })
  limits.opened('a')
  t.false(limits.sent('a', KIB * BURST_SECONDS, 0))
  limits.closed('a')
  limits.opened('a')
  t.false(limits.sent('a', KIB * BURST_SECONDS, 0))
})

// Just what useRelays uses of a HyperDHT.
function fakeDht (randomized: boolean): HyperDHT {
  return Object.assign(new EventEmitter(), { randomized, connect: () => new EventEmitter() }) as unknown as HyperDHT
}

const RELAY = new Uint8Array(32).fill(9)
const NODE = new Uint8Array(32).fill(1)

test('a connection names the relays when this side\'s NAT randomises ports, or after a punch to that key failed', (t) => {
  const consistent = useRelays(fakeDht(false), [RELAY])
  t.is(consistent.forConnect(NODE)(), null)
  t.is(consistent.forServer(), null)
  t.false(consistent.failed(NODE, 'PEER_NOT_FOUND'), 'not a punch failure')
  t.is(consistent.forConnect(NODE)(), null)
  t.true(consistent.failed(NODE, 'HOLEPUNCH_DOUBLE_RANDOMIZED_NATS'))
  t.deepEqual(consistent.forConnect(NODE)(), [RELAY])
  t.is(consistent.forConnect(new Uint8Array(32).fill(2))(), null, 'only for that key')

  const randomized = useRelays(fakeDht(true), [RELAY])
  t.deepEqual(randomized.forConnect(NODE)(), [RELAY])
  t.deepEqual(randomized.forServer(), [RELAY])
})

test('without relays nothing is named, and a failed punch says a relay would not help', (t) => {
  const none = useRelays(fakeDht(true), [])
  t.is(none.forConnect(NODE)(), null)
  t.is(none.forServer(), null)
  t.false(none.failed(NODE, 'HOLEPUNCH_ABORTED'))
  t.true(isPunchFailure('HOLEPUNCH_ABORTED'))
  t.false(isPunchFailure('RELAY_ABORTED'))
  t.false(isPunchFailure(undefined))
})
