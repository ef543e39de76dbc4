// Writes test/vectors/lan-ingest.json, the vectors the Lua agent (TypeScript under Node and
// compiled under lua5.3) and the node's LAN ingest must reproduce byte for byte.
//
//   node --import tsx test/vectors/generate.ts
//
// The IETF and RFC vectors are copied from the documents (test/vectors/README.md names each
// section) and checked here against sodium-universal before anything is written, so a
// transcription slip stops the script. The rest is made with sodium from seeded bytes:
// running the script again writes the same file.
import assert from 'node:assert/strict'
import crypto from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import sodium from 'sodium-universal'

const RFC = 'RFC 8439'
const DRAFT = 'draft-irtf-cfrg-xchacha-03'
const SODIUM = 'sodium-universal 5.0.1 crypto_aead_xchacha20poly1305_ietf_encrypt'
const WIRE = 'docs/decisions/lan-ingest-wire.md, sealed by sodium-universal 5.0.1'
const OUT_FILE = path.join(path.dirname(new URL(import.meta.url).pathname), 'lan-ingest.json')

const SEQUENTIAL_KEY = '000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'
const SUNSCREEN = 'Ladies and Gentlemen of the class of \'99: If I could offer you only one tip for the future, sunscreen would be it.'
const IETF_CONTRIBUTION = 'Any submission to the IETF intended by the Contributor for publication as all or part of an IETF ' +
  'Internet-Draft or RFC and any statement made within the context of an IETF activity is considered an "IETF Contribution". ' +
  'Such statements include oral statements in IETF sessions, as well as written and electronic communications made at any ' +
  'time or place, which are addressed to'
const JABBERWOCKY = '\'Twas brillig, and the slithy toves\nDid gyre and gimble in the wabe:\nAll mimsy were the borogoves,\nAnd the mome raths outgrabe.'

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
const text = (s: string): string => Buffer.from(s, 'utf8').toString('hex')
const bytes = (h: string): Buffer => Buffer.from(h, 'hex')

// Seeded bytes: the same label gives the same bytes on every run.
function seeded (label: string, count: number): Buffer {
  const out = Buffer.alloc(count)
  sodium.randombytes_buf_deterministic(out, crypto.createHash('sha256').update(label).digest())
  return out
}

function seal (key: Buffer, nonce: Buffer, aad: Buffer, plaintext: Buffer): Buffer {
  const sealed = Buffer.alloc(plaintext.length + 16)
  sodium.crypto_aead_xchacha20poly1305_ietf_encrypt(sealed, plaintext, aad, null, nonce, key)
  return sealed
}

function flipBit (h: string, byteIndex: number, bit = 0): string {
  const b = bytes(h)
  b[byteIndex < 0 ? b.length + byteIndex : byteIndex] ^= 1 << bit
  return hex(b)
}

// ChaCha20 with an all-zero input is the keystream, which is how the block function
// vectors are written here.
const chacha20 = [
  { name: 'block function', source: `${RFC} section 2.3.2`, key: SEQUENTIAL_KEY, nonce: '000000090000004a00000000', counter: 1, input: '00'.repeat(64),
    output: '10f1e7e4d13b5915500fdd1fa32071c4c7d1f4c733c068030422aa9ac3d46c4ed2826446079faa0914c2d705d98b02a2b5129cd1de164eb9cbd083e8a2503c4e' },
  { name: 'sunscreen', source: `${RFC} section 2.4.2`, key: SEQUENTIAL_KEY, nonce: '000000000000004a00000000', counter: 1, input: text(SUNSCREEN),
    output: '6e2e359a2568f98041ba0728dd0d6981e97e7aec1d4360c20a27afccfd9fae0bf91b65c5524733ab8f593dabcd62b3571639d624e65152ab8f530c359f0861d8' +
      '07ca0dbf500d6a6156a38e088a22b65e52bc514d16ccf806818ce91ab77937365af90bbf74a35be6b40b8eedf2785e42874d' },
  { name: 'all-zero key, nonce and counter', source: `${RFC} appendix A.1 test vector #1`, key: '00'.repeat(32), nonce: '00'.repeat(12), counter: 0, input: '00'.repeat(64),
    output: '76b8e0ada0f13d90405d6ae55386bd28bdd219b8a08ded1aa836efcc8b770dc7da41597c5157488d7724e03fb8d84a376a43b8f41518a11cc387b669b2ee6586' },
  { name: 'six blocks of the IETF contribution text', source: `${RFC} appendix A.2 test vector #2`, key: '00'.repeat(31) + '01', nonce: '00'.repeat(11) + '02', counter: 1,
    input: text(IETF_CONTRIBUTION),
    output: 'a3fbf07df3fa2fde4f376ca23e82737041605d9f4f4f57bd8cff2c1d4b7955ec2a97948bd3722915c8f3d337f7d370050e9e96d647b7c39f56e031ca5eb6250d' +
      '4042e02785ececfa4b4bb5e8ead0440e20b6e8db09d881a7c6132f420e52795042bdfa7773d8a9051447b3291ce1411c680465552aa6c405b7764d5e87bea85a' +
      'd00f8449ed8f72d0d662ab052691ca66424bc86d2df80ea41f43abf937d3259dc4b2d0dfb48a6c9139ddd7f76966e928e635553ba76c5c879d7b35d49eb2e62b' +
      '0871cdac638939e25e8a1e0ef9d5280fa8ca328b351c3c765989cbcf3daa8b6ccc3aaf9f3979c92b3720fc88dc95ed84a1be059c6499b9fda236e7e818b04b0b' +
      'c39c1e876b193bfe5569753f88128cc08aaa9b63d1a16f80ef2554d7189c411f5869ca52c5b83fa36ff216b9c1d30062bebcfd2dc5bce0911934fda79a86f6e6' +
      '98ced759c3ff9b6477338f3da4f9cd8514ea9982ccafb341b2384dd902f3d1ab7ac61dd29c6f21ba5b862f3730e37cfdc4fd806c22f221' }
]

const hchacha20 = [
  { name: 'subkey', source: `${DRAFT} section 2.2.1`, key: SEQUENTIAL_KEY, nonce: '000000090000004a0000000031415927',
    output: '82413b4227b27bfed30e42508a877d73a0f9e4d58a74a853c12ec41326d3ecdc' }
]

// Appendix A.3 vectors #5 to #11 give r and s apart: the key is r then s.
const poly1305 = [
  { name: 'Cryptographic Forum Research Group', source: `${RFC} section 2.5.2`,
    key: '85d6be7857556d337f4452fe42d506a80103808afb0db2fd4abff6af4149f51b', message: text('Cryptographic Forum Research Group'), tag: 'a8061dc1305136c6c22b8baf0c0127a9' },
  { name: '#1 all zero', source: `${RFC} appendix A.3 test vector #1`, key: '00'.repeat(32), message: '00'.repeat(64), tag: '00'.repeat(16) },
  { name: '#2 r is zero: the tag is s', source: `${RFC} appendix A.3 test vector #2`, key: '00'.repeat(16) + '36e5f6b5c5e06070f0efca96227a863e',
    message: text(IETF_CONTRIBUTION), tag: '36e5f6b5c5e06070f0efca96227a863e' },
  { name: '#3 s is zero', source: `${RFC} appendix A.3 test vector #3`, key: '36e5f6b5c5e06070f0efca96227a863e' + '00'.repeat(16),
    message: text(IETF_CONTRIBUTION), tag: 'f3477e7cd95417af89a6b8794c310cf0' },
  { name: '#4 Jabberwocky', source: `${RFC} appendix A.3 test vector #4`, key: '1c9240a5eb55d38af333888604f6b5f0473917c1402b80099dca5cbc207075c0',
    message: text(JABBERWOCKY), tag: '4541669a7eaaee61e708dc7cbcc5eb62' },
  { name: '#5 partially reduced result not fully reduced', source: `${RFC} appendix A.3 test vector #5`, key: '02' + '00'.repeat(31),
    message: 'ff'.repeat(16), tag: '03' + '00'.repeat(15) },
  { name: '#6 adding s overflows 2^128', source: `${RFC} appendix A.3 test vector #6`, key: '02' + '00'.repeat(15) + 'ff'.repeat(16),
    message: '02' + '00'.repeat(15), tag: '03' + '00'.repeat(15) },
  { name: '#7 all-ones limb with a carry from below', source: `${RFC} appendix A.3 test vector #7`, key: '01' + '00'.repeat(31),
    message: 'ff'.repeat(16) + 'f0' + 'ff'.repeat(15) + '11' + '00'.repeat(15), tag: '05' + '00'.repeat(15) },
  { name: '#8 result exactly 2^130-5', source: `${RFC} appendix A.3 test vector #8`, key: '01' + '00'.repeat(31),
    message: 'ff'.repeat(16) + 'fb' + 'fe'.repeat(15) + '01'.repeat(16), tag: '00'.repeat(16) },
  { name: '#9 result exactly 2^130-6', source: `${RFC} appendix A.3 test vector #9`, key: '02' + '00'.repeat(31),
    message: 'fd' + 'ff'.repeat(15), tag: 'fa' + 'ff'.repeat(15) },
  { name: '#10 5*H+L reduction gives a 131-bit intermediate', source: `${RFC} appendix A.3 test vector #10`,
    key: '0100000000000000' + '0400000000000000' + '00'.repeat(16),
    message: 'e33594d7505e43b9' + '00'.repeat(8) + '3394d7505e4379cd' + '0100000000000000' + '00'.repeat(16) + '01' + '00'.repeat(15),
    tag: '1400000000000000' + '5500000000000000' },
  { name: '#11 5*H+L reduction gives a 131-bit result', source: `${RFC} appendix A.3 test vector #11`,
    key: '0100000000000000' + '0400000000000000' + '00'.repeat(16),
    message: 'e33594d7505e43b9' + '00'.repeat(8) + '3394d7505e4379cd' + '0100000000000000' + '00'.repeat(16), tag: '13' + '00'.repeat(15) }
]

const ietfAead = {
  name: 'Ladies and Gentlemen', source: `${DRAFT} appendix A.3.1`,
  key: '808182838485868788898a8b8c8d8e8f909192939495969798999a9b9c9d9e9f', nonce: '404142434445464748494a4b4c4d4e4f5051525354555657',
  aad: '50515253c0c1c2c3c4c5c6c7', plaintext: text(SUNSCREEN),
  sealed: 'bd6d179d3e83d43b9576579493c0e939572a1700252bfaccbed2902c21396cbb731c7f1b0b4aa6440bf3a82f4eda7e39ae64c6708c54c216cb96b72e1213b452' +
    '2f8c9ba40db5d945b11b69b982c1bb9e3f3fac2bc369488f76b2383565d3fff921f9664c97637da9768812f615c68b13b52e' + 'c0875924c1c7987947deafd8780acf49'
}

// Lengths around ChaCha20's 64-byte blocks and Poly1305's 16-byte ones.
const AEAD_LENGTHS: Array<[number, number]> = [[0, 0], [1, 17], [15, 1], [16, 12], [17, 16], [63, 0], [64, 33], [65, 5], [1000, 64]]
const sodiumAead = AEAD_LENGTHS.map(([length, aadLength]) => {
  const label = `aead ${length} ${aadLength}`
  const key = seeded(label + ' key', 32)
  const nonce = seeded(label + ' nonce', 24)
  const aad = seeded(label + ' aad', aadLength)
  const plaintext = seeded(label + ' plaintext', length)
  return { name: `${length}-byte plaintext, ${aadLength}-byte AAD`, source: SODIUM, key: hex(key), nonce: hex(nonce), aad: hex(aad), plaintext: hex(plaintext), sealed: hex(seal(key, nonce, aad, plaintext)) }
})

const emptyAead = sodiumAead[0]
const aeadFailures = [
  { name: 'flipped tag bit', change: { sealed: flipBit(ietfAead.sealed, -16) } },
  { name: 'flipped last tag bit', change: { sealed: flipBit(ietfAead.sealed, -1, 7) } },
  { name: 'flipped ciphertext bit', change: { sealed: flipBit(ietfAead.sealed, 0) } },
  { name: 'flipped AAD bit', change: { aad: flipBit(ietfAead.aad, 11, 3) } },
  { name: 'flipped nonce bit', change: { nonce: flipBit(ietfAead.nonce, 23, 7) } },
  { name: 'truncated by one byte', change: { sealed: ietfAead.sealed.slice(0, -2) } },
  { name: 'shorter than a tag', change: { sealed: ietfAead.sealed.slice(0, 30) } },
  { name: 'empty', change: { sealed: '' } },
  { name: 'wrong key', change: { key: flipBit(ietfAead.key, 31, 0) } },
  { name: 'AAD dropped', change: { aad: '' } }
].map(({ name, change }) => ({ name: `${ietfAead.source}, ${name}`, source: `derived from ${ietfAead.source}`, key: ietfAead.key, nonce: ietfAead.nonce, aad: ietfAead.aad, sealed: ietfAead.sealed, ...change }))
aeadFailures.push({ name: 'empty plaintext, flipped tag bit', source: `derived from ${SODIUM}`, key: emptyAead.key, nonce: emptyAead.nonce, aad: emptyAead.aad, sealed: flipBit(emptyAead.sealed, 5, 2) })

const DATAGRAM_KEY = seeded('datagram key', 32)
const DEVICE_ID = bytes('a1b2c3d4e5f60718')

function uint (value: number, byteCount: number): Buffer {
  const out = Buffer.alloc(8)
  out.writeBigUInt64BE(BigInt(value))
  return out.subarray(8 - byteCount)
}

// The datagram layouts of docs/decisions/lan-ingest-wire.md, written out here apart from
// the agent's wire.ts so that the two are checked against each other.
function datagram (kind: number, key: Buffer, deviceId: Buffer, headerSeq: number, nonce: Buffer, plaintext: Buffer): string {
  const header = Buffer.concat([Buffer.from([kind]), deviceId, uint(headerSeq, 8)])
  return hex(Buffer.concat([header, nonce, seal(key, nonce, header, plaintext)]))
}

interface ReadingInput { name: string, seq: number, timeMs: number, topic: string, payload: string, payloadRepeat?: number, refusal?: string, key?: string, deviceId?: string }

function reading (input: ReadingInput): Record<string, unknown> {
  const nonce = seeded(`reading ${input.name} nonce`, 24)
  const key = input.key ?? hex(DATAGRAM_KEY)
  const deviceId = input.deviceId ?? hex(DEVICE_ID)
  const vector = { name: input.name, source: WIRE, key, deviceId, nonce: hex(nonce), seq: input.seq, timeMs: input.timeMs, topic: input.topic, payload: input.payload, ...(input.payloadRepeat !== undefined ? { payloadRepeat: input.payloadRepeat } : {}) }
  if (input.refusal !== undefined) return { ...vector, source: 'docs/decisions/lan-ingest-wire.md (limits)', refusal: input.refusal }
  const topic = Buffer.from(input.topic, 'utf8')
  const payload = bytes(input.payload.repeat(input.payloadRepeat ?? 1))
  const record = Buffer.concat([uint(input.timeMs, 8), uint(topic.length, 2), topic, uint(payload.length, 4), payload])
  return { ...vector, datagram: datagram(0x01, bytes(key), bytes(deviceId), input.seq, nonce, record) }
}

const MAX_SAFE = Number.MAX_SAFE_INTEGER
const TOPIC_1024 = 'a'.repeat(1024)
const readings = [
  { name: 'a temperature', seq: 1, timeMs: 1_700_000_000_000, topic: 'home/kitchen/temperature', payload: text('21.5') },
  { name: 'sequence and time at 2^53-1', seq: MAX_SAFE, timeMs: MAX_SAFE, topic: 'home/x', payload: text('max') },
  { name: 'sequence 2^32 and time 0', seq: 4294967296, timeMs: 0, topic: 'home/y', payload: '00' },
  { name: 'one-byte topic, empty payload', seq: 7, timeMs: 1, topic: 't', payload: '' },
  { name: 'UTF-8 topic and every byte value', seq: 300, timeMs: 1_712_345_678_901, topic: 'maison/salle-à-manger/température', payload: hex(Buffer.from(Array.from({ length: 256 }, (_, i) => i))) },
  { name: 'exactly 1,400 bytes', seq: 2, timeMs: 2, topic: TOPIC_1024, payload: '5a', payloadRepeat: 305 },
  { name: '1,401 bytes', seq: 2, timeMs: 2, topic: TOPIC_1024, payload: '5a', payloadRepeat: 306, refusal: 'DATAGRAM_TOO_BIG' },
  { name: 'largest payload, too big for one datagram', seq: 2, timeMs: 2, topic: 't', payload: '00', payloadRepeat: 65536, refusal: 'DATAGRAM_TOO_BIG' },
  { name: 'payload over 65,536 bytes', seq: 2, timeMs: 2, topic: 't', payload: '00', payloadRepeat: 65537, refusal: 'PAYLOAD_TOO_LONG' },
  { name: 'topic over 1,024 bytes', seq: 2, timeMs: 2, topic: TOPIC_1024 + 'a', payload: '', refusal: 'TOPIC_TOO_LONG' },
  { name: '1,024 bytes of topic in 512 two-byte characters', seq: 2, timeMs: 2, topic: 'é'.repeat(512), payload: '' },
  { name: '1,026 bytes of topic in 513 two-byte characters', seq: 2, timeMs: 2, topic: 'é'.repeat(513), payload: '', refusal: 'TOPIC_TOO_LONG' },
  { name: 'empty topic', seq: 2, timeMs: 2, topic: '', payload: '00', refusal: 'TOPIC_EMPTY' },
  { name: 'topic with a # wildcard', seq: 2, timeMs: 2, topic: 'home/#', payload: '', refusal: 'TOPIC_NOT_A_NAME' },
  { name: 'topic with a + wildcard', seq: 2, timeMs: 2, topic: 'home/+/t', payload: '', refusal: 'TOPIC_NOT_A_NAME' },
  { name: 'topic with a NUL', seq: 2, timeMs: 2, topic: 'home/\u0000', payload: '', refusal: 'TOPIC_NOT_A_NAME' },
  { name: 'sequence 0', seq: 0, timeMs: 2, topic: 't', payload: '', refusal: 'BAD_SEQ' },
  { name: 'sequence 2^53', seq: MAX_SAFE + 1, timeMs: 2, topic: 't', payload: '', refusal: 'BAD_SEQ' },
  { name: 'sequence 1.5', seq: 1.5, timeMs: 2, topic: 't', payload: '', refusal: 'BAD_SEQ' },
  { name: 'time -1', seq: 2, timeMs: -1, topic: 't', payload: '', refusal: 'BAD_TIME' },
  { name: 'time 2^53', seq: 2, timeMs: MAX_SAFE + 1, topic: 't', payload: '', refusal: 'BAD_TIME' },
  { name: 'a 31-byte key', seq: 2, timeMs: 2, topic: 't', payload: '', key: hex(DATAGRAM_KEY.subarray(1)), refusal: 'BAD_KEY' },
  { name: 'a 7-byte device id', seq: 2, timeMs: 2, topic: 't', payload: '', deviceId: hex(DEVICE_ID.subarray(1)), refusal: 'BAD_DEVICE_ID' }
].map(reading)

interface AckInput { name: string, highestSeq: number, seqs: number[], count?: number, refusal?: string, kind?: number, key?: Buffer, deviceId?: Buffer, edit?: (datagram: string) => string }

function ack (input: AckInput): Record<string, unknown> {
  const nonce = seeded(`ack ${input.name} nonce`, 24)
  const list = Buffer.concat([uint(input.count ?? input.seqs.length, 2), ...input.seqs.map((seq) => uint(seq, 8))])
  const sealed = datagram(input.kind ?? 0x02, input.key ?? DATAGRAM_KEY, input.deviceId ?? DEVICE_ID, input.highestSeq, nonce, list)
  const vector = { name: input.name, source: input.refusal === undefined ? WIRE : `derived: ${WIRE}`, key: hex(DATAGRAM_KEY), deviceId: hex(DEVICE_ID), datagram: input.edit?.(sealed) ?? sealed }
  return input.refusal === undefined ? { ...vector, highestSeq: input.highestSeq, seqs: input.seqs } : { ...vector, refusal: input.refusal }
}

const SIXTY_FOUR = Array.from({ length: 64 }, (_, i) => 100 + i)
const acks = [
  { name: 'one reading', highestSeq: 1, seqs: [1] },
  { name: '64 readings', highestSeq: 163, seqs: SIXTY_FOUR },
  { name: 'out of order, below the highest', highestSeq: 12, seqs: [5, 3, 9] },
  { name: 'sequences at 2^53-1 and 2^32', highestSeq: MAX_SAFE, seqs: [MAX_SAFE, 4294967296] },
  { name: 'empty: the answer to a reading too old for the window', highestSeq: 3008, seqs: [] },
  { name: 'flipped tag bit', highestSeq: 1, seqs: [1], edit: (d: string) => flipBit(d, -1, 0), refusal: 'BAD_TAG' },
  { name: 'flipped ciphertext bit', highestSeq: 1, seqs: [1], edit: (d: string) => flipBit(d, 41, 4), refusal: 'BAD_TAG' },
  { name: 'flipped header bit (highest sequence)', highestSeq: 1, seqs: [1], edit: (d: string) => flipBit(d, 16, 1), refusal: 'BAD_TAG' },
  { name: 'flipped nonce bit', highestSeq: 1, seqs: [1], edit: (d: string) => flipBit(d, 17, 0), refusal: 'BAD_TAG' },
  { name: 'truncated by one byte', highestSeq: 2, seqs: [1, 2], edit: (d: string) => d.slice(0, -2), refusal: 'BAD_TAG' },
  { name: 'an empty one truncated by one byte, below the smallest acknowledgement', highestSeq: 1, seqs: [], edit: (d: string) => d.slice(0, -2), refusal: 'BAD_LENGTH' },
  { name: 'empty', highestSeq: 1, seqs: [1], edit: () => '', refusal: 'BAD_LENGTH' },
  { name: 'sealed with another key', highestSeq: 1, seqs: [1], key: seeded('another key', 32), refusal: 'BAD_TAG' },
  { name: 'a reading, not an acknowledgement', highestSeq: 1, seqs: [1], kind: 0x01, refusal: 'NOT_AN_ACK' },
  { name: 'for another device', highestSeq: 1, seqs: [1], deviceId: bytes('a1b2c3d4e5f60719'), refusal: 'OTHER_DEVICE' },
  { name: 'count 0 with one sequence after it', highestSeq: 1, seqs: [1], count: 0, refusal: 'BAD_COUNT' },
  { name: 'count 1 with no sequence after it', highestSeq: 1, seqs: [], count: 1, refusal: 'BAD_COUNT' },
  { name: 'count 2 with three sequences', highestSeq: 3, seqs: [1, 2, 3], count: 2, refusal: 'BAD_COUNT' },
  { name: '65 sequences', highestSeq: 200, seqs: [...SIXTY_FOUR, 164], refusal: 'BAD_COUNT' },
  { name: 'sequence 0 in the list', highestSeq: 1, seqs: [0], refusal: 'BAD_SEQ' },
  { name: 'sequence 2^53 in the list', highestSeq: 1, seqs: [MAX_SAFE + 1], refusal: 'BAD_SEQ' },
  { name: 'highest sequence 2^53', highestSeq: MAX_SAFE + 1, seqs: [1], refusal: 'BAD_SEQ' }
].map(ack)

// The copied vectors, recomputed by sodium: a slip in copying stops the script here.
for (const v of chacha20) {
  const out = Buffer.alloc(v.input.length / 2)
  sodium.crypto_stream_chacha20_ietf_xor_ic(out, bytes(v.input), bytes(v.nonce), v.counter, bytes(v.key))
  assert.equal(hex(out), v.output, `chacha20 ${v.source}`)
}
for (const v of poly1305) {
  const out = Buffer.alloc(16)
  sodium.crypto_onetimeauth(out, bytes(v.message), bytes(v.key))
  assert.equal(hex(out), v.tag, `poly1305 ${v.source}`)
}
// sodium has no HChaCha20 call here; XChaCha20 with the 16 nonce bytes and a zero tail is
// ChaCha20 under the subkey with a zero nonce, which checks the subkey.
for (const v of hchacha20) {
  const viaX = Buffer.alloc(64)
  const viaSubkey = Buffer.alloc(64)
  sodium.crypto_stream_xchacha20(viaX, Buffer.concat([bytes(v.nonce), Buffer.alloc(8)]), bytes(v.key))
  sodium.crypto_stream_chacha20_ietf(viaSubkey, Buffer.alloc(12), bytes(v.output))
  assert.equal(hex(viaX), hex(viaSubkey), `hchacha20 ${v.source}`)
}
assert.equal(hex(seal(bytes(ietfAead.key), bytes(ietfAead.nonce), bytes(ietfAead.aad), bytes(ietfAead.plaintext))), ietfAead.sealed, ietfAead.source)

const vectors = {
  about: 'LAN ingest test vectors (docs/decisions/lan-ingest-wire.md). Bytes are lowercase hex; where each vector comes from: test/vectors/README.md. ' +
    'Regenerate with: node --import tsx test/vectors/generate.ts',
  chacha20,
  hchacha20,
  poly1305,
  aead: [ietfAead, ...sodiumAead],
  aeadFailures,
  readings,
  acks
}
fs.writeFileSync(OUT_FILE, JSON.stringify(vectors, null, 2) + '\n')
console.log(`wrote ${path.relative(process.cwd(), OUT_FILE)}`)
