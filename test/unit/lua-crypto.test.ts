// The Lua agent's crypto and wire format, run as TypeScript under Node: every vector of
// test/vectors/lan-ingest.json, and random inputs cross-checked with sodium-universal.
// test/e2e/lua-crypto.test.ts runs the same vectors through the compiled Lua.
import test from 'ava'
import sodium from 'sodium-universal'
import { BuildError } from '../../targets/errors.ts'
import { buildLuaBundle } from '../../targets/lua/build.ts'
import { aeadOpen, aeadSeal } from '../../targets/lua/agent/aead.ts'
import { chacha20Xor } from '../../targets/lua/agent/chacha20.ts'
import { poly1305 } from '../../targets/lua/agent/poly1305.ts'
import { runCase } from '../../targets/lua/agent/vector-cases.ts'
import { openAck, sealReading } from '../../targets/lua/agent/wire.ts'
import { loadVectors, randomBytes, sodiumOpen, sodiumOpenReading, sodiumSeal, vectorCases } from '../helpers/lan-ingest-vectors.ts'

const noRandomness = (): undefined => undefined
const nodeRuntime = { randomBytes: noRandomness, clock: () => performance.now() / 1000 }
const list = (bytes: Uint8Array): number[] => Array.from(bytes)
const randomInt = (below: number): number => Math.floor(Math.random() * below)

test('every vector of lan-ingest.json comes out of the agent code under Node, failures included', (t) => {
  const cases = vectorCases()
  t.true(cases.length >= 90, `only ${cases.length} cases`)
  const actual = cases.map((c) => `${c.name}: ${runCase(c.line, nodeRuntime)}`)
  t.deepEqual(actual, cases.map((c) => `${c.name}: ${c.expected}`))
})

test('the vectors refuse a reading and an acknowledgement for every reason but missing randomness', (t) => {
  const vectors = loadVectors()
  const reasons = new Set([...vectors.readings, ...vectors.acks].flatMap((v) => v.refusal ?? []))
  t.deepEqual([...reasons].sort(), [
    'BAD_COUNT', 'BAD_DEVICE_ID', 'BAD_KEY', 'BAD_LENGTH', 'BAD_SEQ', 'BAD_TAG', 'BAD_TIME', 'DATAGRAM_TOO_BIG',
    'NOT_AN_ACK', 'OTHER_DEVICE', 'PAYLOAD_TOO_LONG', 'TOPIC_EMPTY', 'TOPIC_NOT_A_NAME', 'TOPIC_TOO_LONG'
  ])
})

test('300 random messages sealed by the agent code open with sodium, and sodium\'s open with the agent code', (t) => {
  for (let i = 0; i < 300; i++) {
    const key = randomBytes(32)
    const nonce = randomBytes(24)
    const aad = randomBytes(randomInt(40))
    const plaintext = randomBytes(i < 200 ? randomInt(200) : randomInt(1500))
    const sealed = aeadSeal(list(key), list(nonce), list(aad), list(plaintext))
    const bySodium = sodiumSeal(key, nonce, aad, plaintext)
    if (Buffer.from(sealed).compare(bySodium) !== 0) return t.fail(`seal differs for ${plaintext.length} bytes, ${aad.length} of AAD`)
    t.deepEqual(sodiumOpen(key, nonce, aad, Buffer.from(sealed)), plaintext)
    t.deepEqual(aeadOpen(list(key), list(nonce), list(aad), list(bySodium)), list(plaintext))
  }
})

test('a random message with one bit flipped opens neither with the agent code nor with sodium', (t) => {
  for (let i = 0; i < 100; i++) {
    const key = randomBytes(32)
    const nonce = randomBytes(24)
    const aad = randomBytes(randomInt(20))
    const sealed = sodiumSeal(key, nonce, aad, randomBytes(randomInt(100)))
    const bit = randomInt(sealed.length * 8)
    sealed[bit >> 3] ^= 1 << (bit & 7)
    t.is(aeadOpen(list(key), list(nonce), list(aad), list(sealed)), undefined)
    t.is(sodiumOpen(key, nonce, aad, sealed), undefined)
  }
})

// Edge cases of the limbs come from messages of all-ones blocks and from keys whose r
// has every bit the clamp leaves.
test('Poly1305 agrees with sodium on 300 random and all-ones messages', (t) => {
  for (let i = 0; i < 300; i++) {
    const key = i % 3 === 0 ? Buffer.alloc(32, 0xff) : randomBytes(32)
    const message = i % 2 === 0 ? Buffer.alloc(randomInt(200), 0xff) : randomBytes(randomInt(300))
    const expected = Buffer.alloc(16)
    sodium.crypto_onetimeauth(expected, message, key)
    t.deepEqual(poly1305(list(key), list(message)), list(expected), `${message.length} bytes`)
  }
})

test('ChaCha20 agrees with sodium at random counters and lengths', (t) => {
  for (let i = 0; i < 100; i++) {
    const key = randomBytes(32)
    const nonce = randomBytes(12)
    const counter = randomInt(2 ** 31)
    const input = randomBytes(randomInt(400))
    const expected = Buffer.alloc(input.length)
    sodium.crypto_stream_chacha20_ietf_xor_ic(expected, input, nonce, counter, key)
    t.deepEqual(chacha20Xor(list(key), counter, list(nonce), list(input)), list(expected))
  }
})

test('100 random readings sealed by the agent code open with sodium and read back field by field', (t) => {
  for (let i = 0; i < 100; i++) {
    const key = randomBytes(32)
    const deviceId = randomBytes(8)
    const nonce = randomBytes(24)
    const reading = {
      seq: 1 + randomInt(Number.MAX_SAFE_INTEGER),
      timeMs: randomInt(Number.MAX_SAFE_INTEGER),
      topic: list(Buffer.from(`home/room-${i}/sensor-${randomInt(1000)}`)),
      payload: list(randomBytes(randomInt(300)))
    }
    const sealed = sealReading(list(key), list(deviceId), reading, () => list(nonce))
    if (!sealed.ok) return t.fail(`refused: ${sealed.refusal}`)
    t.deepEqual(sodiumOpenReading(key, Buffer.from(sealed.datagram)), {
      deviceId: deviceId.toString('hex'),
      seq: reading.seq,
      timeMs: reading.timeMs,
      topic: Buffer.from(reading.topic).toString('hex'),
      payload: Buffer.from(reading.payload).toString('hex')
    })
  }
})

test('100 random acknowledgements sealed by sodium open with the agent code', (t) => {
  for (let i = 0; i < 100; i++) {
    const key = randomBytes(32)
    const deviceId = randomBytes(8)
    const nonce = randomBytes(24)
    const seqs = Array.from({ length: 1 + randomInt(64) }, () => 1 + randomInt(Number.MAX_SAFE_INTEGER))
    const highestSeq = Math.max(...seqs)
    const header = Buffer.alloc(17)
    header[0] = 0x02
    deviceId.copy(header, 1)
    header.writeBigUInt64BE(BigInt(highestSeq), 9)
    const body = Buffer.alloc(2 + 8 * seqs.length)
    body.writeUInt16BE(seqs.length)
    seqs.forEach((seq, k) => body.writeBigUInt64BE(BigInt(seq), 2 + 8 * k))
    const datagram = Buffer.concat([header, nonce, sodiumSeal(key, nonce, header, body)])
    t.deepEqual(openAck(list(key), list(deviceId), list(datagram)), { ok: true, ack: { highestSeq, seqs } })
  }
})

test('an empty acknowledgement sealed by sodium opens with the agent code to the node\'s highest and no sequence', (t) => {
  const key = randomBytes(32)
  const deviceId = randomBytes(8)
  const nonce = randomBytes(24)
  const header = Buffer.concat([Buffer.from([0x02]), deviceId, Buffer.from('0000000000000bc0', 'hex')])
  const datagram = Buffer.concat([header, nonce, sodiumSeal(key, nonce, header, Buffer.from([0, 0]))])
  t.deepEqual(openAck(list(key), list(deviceId), list(datagram)), { ok: true, ack: { highestSeq: 3008, seqs: [] } })
  const countOnly = Buffer.concat([header, nonce, sodiumSeal(key, nonce, header, Buffer.from([0, 1]))])
  t.deepEqual(openAck(list(key), list(deviceId), list(countOnly)), { ok: false, refusal: 'BAD_COUNT' })
})

test('a reading without 24 random bytes is refused as a value, not thrown', (t) => {
  const reading = { seq: 1, timeMs: 1, topic: [0x74], payload: [] }
  t.deepEqual(sealReading(list(randomBytes(32)), list(randomBytes(8)), reading, noRandomness), { ok: false, refusal: 'NO_RANDOMNESS' })
  t.deepEqual(sealReading(list(randomBytes(32)), list(randomBytes(8)), reading, () => list(randomBytes(23))), { ok: false, refusal: 'NO_RANDOMNESS' })
})

test('a Lua entry outside the agent folder or missing is a build error naming it', (t) => {
  for (const entry of ['../build.ts', 'no-such-entry.ts', 'tsconfig.json']) {
    const err = t.throws(() => buildLuaBundle({ entry, outFile: '/nonexistent/agent.lua' }), { instanceOf: BuildError })
    t.is(err?.code, 'LUA_ENTRY_NOT_FOUND')
    t.true(err?.message.includes(entry), err?.message)
  }
})
