// The node's side of the shared LAN ingest vectors (test/vectors/lan-ingest.json), which
// the Lua agent reproduces byte for byte under lua5.3 (test/e2e/lua-crypto.test.ts): the
// node opens every reading the agent would send, and seals the very acknowledgements the
// agent expects.
import fs from 'node:fs'
import b4a from 'b4a'
import test from 'ava'
import { NONCE_AT, openReading, readHeader, readRecord, SEALED_AT, sealAck } from '../../node/lan/wire.ts'
import { REPO_ROOT } from '../../targets/bundle.ts'

// Vectors with a `refusal` are ones the agent must refuse to seal (or, for acknowledgements,
// to accept); they carry no datagram for the node to open or seal.
interface ReadingVector { name: string, key: string, deviceId: string, seq: number, timeMs: number, topic: string, payload: string, payloadRepeat?: number, datagram?: string, refusal?: string }
interface AckVector { name: string, key: string, deviceId: string, datagram: string, highestSeq: number, seqs: number[], refusal?: string }

const vectors = JSON.parse(fs.readFileSync(`${REPO_ROOT}/test/vectors/lan-ingest.json`, 'utf8')) as { readings: ReadingVector[], acks: AckVector[] }
const hex = (s: string): Uint8Array => b4a.from(s, 'hex')

test('the node opens every reading vector to the agent\'s device, sequence, time, topic and payload', (t) => {
  const sealed = vectors.readings.filter((v) => v.refusal === undefined)
  t.true(sealed.length >= 7)
  for (const v of sealed) {
    const datagram = hex(v.datagram!)
    const header = readHeader(datagram)
    if (typeof header === 'string') return t.fail(`${v.name}: ${header}`)
    t.is(header.deviceId, v.deviceId, v.name)
    t.is(header.sequence, v.seq, v.name)
    const plain = openReading(datagram, hex(v.key))
    if (plain === null) return t.fail(`${v.name}: the tag did not verify`)
    const record = readRecord(plain)
    t.like(record, { takenAt: v.timeMs, topic: v.topic }, v.name)
    t.is(b4a.toString(record!.payload, 'hex'), v.payload.repeat(v.payloadRepeat ?? 1), v.name)
    t.is(openReading(datagram, hex(v.key.replace(/^./, (c) => (c === '0' ? '1' : '0')))), null, `${v.name}: opened with another key`)
  }
})

test('the node seals every acknowledgement vector byte for byte', (t) => {
  const sealed = vectors.acks.filter((v) => v.refusal === undefined)
  t.true(sealed.length >= 4)
  for (const v of sealed) {
    const expected = hex(v.datagram)
    const sealed = sealAck(hex(v.deviceId), hex(v.key), v.highestSeq, v.seqs, expected.subarray(NONCE_AT, SEALED_AT))
    t.is(b4a.toString(sealed, 'hex'), v.datagram, v.name)
  }
})
