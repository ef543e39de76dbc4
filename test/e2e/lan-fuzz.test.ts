// Bad input from the LAN never crashes the node and never gets into a feed: 120,000
// random and mutated datagrams (bit flips, cuts, extensions, changed header fields,
// random bytes, and authentic datagrams with bad records, unrouted topics and numbers
// too far ahead) go to the running Bare node, with a few valid readings among them.
// Afterwards it still accepts and acknowledges a valid reading, and its feed holds only
// the valid readings, each once.
import crypto from 'node:crypto'
import test from 'ava'
import { HEADER_BYTES, MAX_DATAGRAM_BYTES, NONCE_AT, SEALED_AT, writeUint64 } from '../../node/lan/wire.ts'
import { newAgentKeys, sealReading, type AgentKeys } from '../../tools/harness/lan-agent.ts'
import { sleep } from '../../tools/harness/wait.ts'
import { lanAgent, lanDevice, lanNode } from '../helpers/lan.ts'
import { startTestnet } from '../helpers/testnet.ts'

const DATAGRAMS = 120_000
// Datagrams sent back to back before the event loop turns: fast enough to finish in
// well under a minute, slow enough that most reach the node (some may be dropped by
// the kernel when its buffer is full, which is the LAN's right).
const BURST = 400

// A seeded generator (mulberry32), so a failure can be run again with its seed.
function random (seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), 1 | a)
    x = (x + Math.imul(x ^ (x >>> 7), 61 | x)) ^ x
    return ((x ^ (x >>> 14)) >>> 0) / 4_294_967_296
  }
}

test('120,000 random and mutated datagrams: the node keeps serving and stores only valid readings', async (t) => {
  const seed = Number(process.env.LAN_FUZZ_SEED ?? crypto.randomInt(2 ** 31))
  t.log(`seed ${seed} (LAN_FUZZ_SEED=${seed} runs this again)`)
  const rand = random(seed)
  const int = (n: number): number => Math.floor(rand() * n)
  const bytes = (n: number): Buffer => Buffer.from(Array.from({ length: n }, () => int(256)))

  const { bootstrap } = await startTestnet(t)
  const device = lanDevice('kitchen')
  const node = await lanNode(t, bootstrap, [device])
  const proc = await node.start()
  const agent = await lanAgent(t, { keys: device, port: node.port })

  // The valid readings among the noise: what the feed may hold, by sequence number.
  const valid = new Map<number, string>()
  let nextValid = 1
  const reading = (sequence: number, topic = 'meter/kitchen', payload = String(int(1e6))): { sequence: number, topic: string, payload: Buffer } =>
    ({ sequence, topic, payload: Buffer.from(payload) })
  const sealed = (keys: AgentKeys, sequence: number, topic?: string): Buffer => sealReading(keys, reading(sequence, topic))
  const sealedValid = (sequence: number): Buffer => {
    const r = reading(sequence)
    valid.set(sequence, r.payload.toString())
    return sealReading(device, r)
  }
  const someSequence = (): number => [0, 1, nextValid, nextValid + 5000, 2 ** 53 - 1, 2 ** 53, int(2 ** 32)][int(7)]

  // Every mutant differs from the authentic datagram it was made from (a mutation that
  // undid itself would be a valid reading the test did not count as one).
  function mutant (): Buffer {
    const sequence = 1 + int(nextValid + 10)
    const base = sealed(device, sequence)
    switch (int(13)) {
      case 0: return bytes(int(MAX_DATAGRAM_BYTES + 200))
      case 1: { // bit flips, each in a byte of its own
        const at = new Set(Array.from({ length: 1 + int(8) }, () => int(base.byteLength)))
        for (const i of at) base[i] ^= 1 << int(8)
        return base
      }
      case 2: return base.subarray(0, int(base.byteLength))
      case 3: return Buffer.concat([base, bytes(1 + int(MAX_DATAGRAM_BYTES))])
      case 4: { base[0] = [0, 2, 3, 0x81, 0xff][int(5)]; return base }
      case 5: { bytes(8).copy(base, 1); return base }
      case 6: {
        const other = someSequence()
        writeUint64(base, 9, other === sequence ? other + 1 : other)
        return base
      }
      case 7: { bytes(24).copy(base, NONCE_AT); return base }
      case 8: { bytes(base.byteLength - SEALED_AT).copy(base, SEALED_AT); return base }
      case 9: { // authentic, but the record inside is not one
        return sealReading(device, reading(1 + int(nextValid + 10)), bytes(int(64)))
      }
      // Authentic, but its topic goes to no feed (or is no topic name).
      case 10: return sealed(device, 1 + int(nextValid + 10), ['kitchen/light', 'meters', '$SYS/meter', 'meter/+', 'meter/#'][int(5)])
      // Authentic, with a number no agent sends or far ahead of the window.
      case 11: return sealed(device, [0, 2 ** 53, 2 ** 53 - 1, nextValid + 2 ** 20 + 1 + int(1000)][int(4)])
      default: return Buffer.concat([base.subarray(0, HEADER_BYTES), bytes(int(200))])
    }
  }

  const started = Date.now()
  let sent = 0
  let otherKeys = newAgentKeys()
  while (sent < DATAGRAMS) {
    for (let i = 0; i < BURST && sent < DATAGRAMS; i++, sent++) {
      let datagram: Buffer
      if (sent % 1000 === 0) {
        // A valid reading now and then, and one from a device the node does not know.
        datagram = sealedValid(nextValid++)
      } else if (sent % 1000 === 500) {
        otherKeys = newAgentKeys()
        datagram = sealed(otherKeys, 1)
      } else {
        datagram = mutant()
      }
      agent.sendRaw(datagram).catch(() => {})
    }
    await sleep(1)
  }
  const seconds = (Date.now() - started) / 1000
  // The valid reading after all of it: accepted and acknowledged. Its number is one no
  // mutant had (they go up to nextValid + 10): an authentic reading with an unrouted topic
  // is acknowledged, and its acknowledgement must not stand in for this one's.
  const last = nextValid + 11
  valid.set(last, '42')
  await agent.send(reading(last, 'meter/kitchen', '42'))
  await agent.waitForAcks([last], 15_000)

  const status = await node.lanStatus()
  const dropped = Object.values(status.dropped).reduce((a, b) => a + b, 0)
  t.log(`${sent} datagrams in ${seconds.toFixed(1)} s (${Math.round(sent / seconds)}/s); the node received ${status.received}, ` +
    `stored ${status.stored}, duplicates ${status.duplicates}, dropped ${dropped}: ${JSON.stringify(status.dropped)}`)
  t.true(seconds < 60, `sending took ${seconds} s`)
  t.true(status.received > sent / 2, 'most datagrams reached the node')
  for (const reason of ['oversized', 'truncated', 'unknown-kind', 'unknown-device', 'bad-tag', 'bad-sequence', 'bad-record', 'unrouted-topic', 'far-future'] as const) {
    t.true(status.dropped[reason] > 0, reason)
  }
  t.deepEqual(proc.events.filter((e) => e.event === 'fatal' || e.event === 'error'), [])
  t.is((await proc.stop(3000)).code, 0, 'still running, and stops cleanly')

  const records = await node.readFeed()
  const numbers = records.map((r) => r.packetId)
  t.deepEqual(records.filter((r) => r.topic !== 'meter/kitchen' || valid.get(r.packetId) !== Buffer.from(r.payload).toString()), [],
    'only readings sent as valid, each with what was sent under its number')
  t.true(records.length > valid.size / 2, `${records.length} of ${valid.size} valid readings stored`)
  t.is(new Set(numbers).size, numbers.length, 'each once')
  t.true(numbers.includes(last))
  t.is(Buffer.from(records.find((r) => r.packetId === last)!.payload).toString(), '42')
})
