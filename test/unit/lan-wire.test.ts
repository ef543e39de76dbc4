// The LAN ingest wire format, node side, against libsodium itself: a reading sealed with
// crypto_aead_xchacha20poly1305_ietf_encrypt opens, an acknowledgement the node seals
// opens with _decrypt, and every way a datagram can be wrong is a drop reason.
import test from 'ava'
import sodium from 'sodium-universal'
import {
  HEADER_BYTES, isSequence, MAX_DATAGRAM_BYTES, MIN_READING_BYTES, NONCE_AT, openReading, readHeader, readRecord, readUint64, SEALED_AT,
  sealAck, writeUint64
} from '../../node/lan/wire.ts'
import { openAck, recordBytes, sealReading, type AgentKeys } from '../../tools/harness/lan-agent.ts'

const keys: AgentKeys = { id: '0123456789abcdef', key: '42'.repeat(32) }
const key = Buffer.from(keys.key, 'hex')

// Sealed here with sodium directly, not with the helper the other tests use.
function sealByHand (sequence: number, record: Uint8Array, nonce: Uint8Array = Buffer.alloc(24, 7)): Buffer {
  const header = Buffer.alloc(HEADER_BYTES)
  header[0] = 1
  Buffer.from(keys.id, 'hex').copy(header, 1)
  writeUint64(header, 9, sequence)
  const sealed = Buffer.alloc(record.byteLength + 16)
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, record, header, null, nonce, key)
  return Buffer.concat([header, nonce, sealed])
}

test('a reading sealed with libsodium opens to its record', (t) => {
  const record = recordBytes({ sequence: 3, topic: 'router/load', payload: Buffer.from('0.42'), takenAt: 1_700_000_000_123 })
  const datagram = sealByHand(3, record)
  t.deepEqual(readHeader(datagram), { deviceId: keys.id, sequence: 3 })
  const plain = openReading(datagram, key)
  t.deepEqual(plain && Buffer.from(plain), record)
  const reading = readRecord(plain!)
  t.deepEqual(reading && { ...reading, payload: Buffer.from(reading.payload).toString() }, { takenAt: 1_700_000_000_123, topic: 'router/load', payload: '0.42' })
})

test('the test agent seals as libsodium does: same header, nonce at 17, tag last', (t) => {
  const datagram = sealReading(keys, { sequence: 9, topic: 't', payload: Buffer.alloc(0), takenAt: 5 })
  t.is(datagram.byteLength, MIN_READING_BYTES)
  const again = sealByHand(9, recordBytes({ sequence: 9, topic: 't', payload: Buffer.alloc(0), takenAt: 5 }), datagram.subarray(NONCE_AT, SEALED_AT))
  t.deepEqual(datagram, again)
})

test('a tag that does not verify: another key, a changed header, nonce or ciphertext', (t) => {
  const datagram = sealReading(keys, { sequence: 1, topic: 'a/b', payload: Buffer.from('x') })
  t.is(openReading(datagram, Buffer.alloc(32, 1)), null)
  for (const at of [0, 5, 12, NONCE_AT + 3, SEALED_AT + 1, datagram.byteLength - 1]) {
    const changed = Buffer.from(datagram)
    changed[at] ^= 0x01
    t.is(openReading(changed, key), null, `byte ${at}`)
  }
})

test('size and kind are checked before anything else', (t) => {
  const datagram = sealReading(keys, { sequence: 1, topic: 'a', payload: Buffer.alloc(0) })
  t.is(readHeader(new Uint8Array(0)), 'truncated')
  t.is(readHeader(datagram.subarray(0, MIN_READING_BYTES - 1)), 'truncated')
  t.is(readHeader(Buffer.alloc(MAX_DATAGRAM_BYTES + 1, 1)), 'oversized')
  t.is(readHeader(Buffer.from([2, ...datagram.subarray(1)])), 'unknown-kind')
  t.is(readHeader(Buffer.from([0])), 'unknown-kind')
  t.deepEqual(readHeader(Buffer.alloc(MAX_DATAGRAM_BYTES, 1)), { deviceId: '0101010101010101', sequence: 0x0101010101010101 })
})

test('sequence numbers run from 1 to 2^53 - 1', (t) => {
  t.false(isSequence(0))
  t.true(isSequence(1))
  t.true(isSequence(2 ** 53 - 1))
  const top = Buffer.alloc(8)
  writeUint64(top, 0, 2 ** 53 - 1)
  t.is(top.toString('hex'), '001fffffffffffff')
  t.false(isSequence(readUint64(Buffer.from('0020000000000000', 'hex'), 0)))
  t.false(isSequence(readUint64(Buffer.from('ffffffffffffffff', 'hex'), 0)))
})

test('a record whose lengths do not add up or whose topic is no MQTT topic name is refused', (t) => {
  const good = Buffer.from(recordBytes({ sequence: 1, topic: 'a/b', payload: Buffer.from('12') }))
  t.truthy(readRecord(good))
  const bad = (change: (r: Buffer) => Buffer): unknown => readRecord(change(Buffer.from(good)))
  t.is(bad((r) => r.subarray(0, r.byteLength - 1)), null, 'payload cut short')
  t.is(bad((r) => Buffer.concat([r, Buffer.from([0])])), null, 'a byte too many')
  t.is(bad((r) => { r.writeUInt16BE(0, 8); return r }), null, 'empty topic')
  t.is(bad((r) => { r.writeUInt16BE(1025, 8); return r }), null, 'topic over 1,024 bytes')
  t.is(bad((r) => { r.writeUInt32BE(65_537, 13); return r }), null, 'payload over 65,536 bytes')
  t.is(bad((r) => { r[0] = 0xff; return r }), null, 'a time of 2^53 or more')
  for (const topic of ['a/+', 'a/#', 'a\u0000b']) t.is(readRecord(recordBytes({ sequence: 1, topic, payload: Buffer.alloc(0) })), null, topic)
  const notUtf8 = Buffer.from(good)
  notUtf8[10] = 0xc3
  t.is(readRecord(notUtf8), null, 'invalid UTF-8')
  t.is(readRecord(recordBytes({ sequence: 1, topic: 'x'.repeat(1024), payload: Buffer.alloc(0) }))?.topic.length, 1024)
})

test('an acknowledgement sealed by the node opens with libsodium and names up to 64 readings', (t) => {
  const sequences = Array.from({ length: 64 }, (_, i) => 2 ** 40 + i)
  const ack = sealAck(Buffer.from(keys.id, 'hex'), key, 2 ** 40 + 100, sequences)
  t.is(ack[0], 2)
  t.is(Buffer.from(ack.subarray(1, 9)).toString('hex'), keys.id)
  t.is(readUint64(ack, 9), 2 ** 40 + 100)
  const plain = Buffer.alloc(ack.byteLength - SEALED_AT - 16)
  sodium.crypto_aead_xchacha20poly1305_ietf_decrypt(plain, null, ack.subarray(SEALED_AT), ack.subarray(0, HEADER_BYTES), ack.subarray(NONCE_AT, SEALED_AT), key)
  t.is(plain.readUInt16BE(0), 64)
  t.is(readUint64(plain, 2 + 8 * 63), 2 ** 40 + 63)
  t.deepEqual(openAck(keys, ack), { highest: 2 ** 40 + 100, sequences })
  t.is(openAck({ ...keys, key: '43'.repeat(32) }, ack), null, 'no other key opens it')
  t.not(Buffer.from(sealAck(Buffer.from(keys.id, 'hex'), key, 1, [1]).subarray(NONCE_AT, SEALED_AT)).toString('hex'),
    Buffer.from(sealAck(Buffer.from(keys.id, 'hex'), key, 1, [1]).subarray(NONCE_AT, SEALED_AT)).toString('hex'), 'a fresh nonce each time')
})
