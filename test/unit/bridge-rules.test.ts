import test from 'ava'
import { decodeError, decodePayload, isUtf8 } from '../../node/bridge/decode.ts'
import { decodeReading, encodeReading, type ReadingRecord } from '../../node/bridge/record.ts'
import { checkRules, parseMapFlag, routeTopic } from '../../node/bridge/rules.ts'
import { checkTopicFilter, topicMatches } from '../../node/bridge/topic-filter.ts'

test('+ matches exactly one level and # the rest, including the parent level', (t) => {
  t.true(topicMatches('home/+/temperature', 'home/kitchen/temperature'))
  t.false(topicMatches('home/+/temperature', 'home/kitchen/fridge/temperature'))
  t.false(topicMatches('home/+/temperature', 'home/temperature'))
  t.true(topicMatches('home/#', 'home/kitchen/fridge/temperature'))
  t.true(topicMatches('home/#', 'home'))
  t.false(topicMatches('home/#', 'garden/soil'))
  t.true(topicMatches('#', 'anything/at/all'))
  t.true(topicMatches('home/kitchen', 'home/kitchen'))
  t.false(topicMatches('home/kitchen', 'home/kitchen/x'))
})

test('leading wildcards do not match $SYS topics', (t) => {
  t.false(topicMatches('#', '$SYS/broker/uptime'))
  t.false(topicMatches('+/broker/uptime', '$SYS/broker/uptime'))
  t.true(topicMatches('$SYS/#', '$SYS/broker/uptime'))
})

test('malformed topic filters are explained', (t) => {
  t.is(checkTopicFilter('home/#/x'), '"#" must be a whole level and the last one (e.g. home/#)')
  t.is(checkTopicFilter('home/kit#'), '"#" must be a whole level and the last one (e.g. home/#)')
  t.is(checkTopicFilter('home/k+/t'), '"+" must be a whole level (e.g. home/+/temperature)')
  t.is(checkTopicFilter(''), 'a topic filter cannot be empty')
  t.is(checkTopicFilter('home/+/temperature'), null)
})

test('two rules writing one feed with different decoders are refused', (t) => {
  const problems = checkRules([
    { filter: 'home/+/temperature', feed: 'climate', decoder: 'number' },
    { filter: 'home/+/humidity', feed: 'climate', decoder: 'json' }
  ])
  t.deepEqual(problems, [{ index: 1, field: 'decoder', reason: 'feed "climate" is written with decoder "number" by rule 1; one feed has one decoder' }])
})

test('an unknown decoder and a bad feed name are refused', (t) => {
  const problems = checkRules([{ filter: 'a/b', feed: 'Climate Feed', decoder: 'xml' as never }])
  t.deepEqual(problems.map((p) => p.field), ['feed', 'decoder'])
  t.regex(problems[1].reason, /unknown decoder "xml" \(known: json, number, text, raw\)/)
})

test('a topic goes to every matching feed once', (t) => {
  const rules = [
    { filter: 'home/+/temperature', feed: 'climate', decoder: 'number' as const },
    { filter: 'home/#', feed: 'everything', decoder: 'raw' as const },
    { filter: 'home/kitchen/temperature', feed: 'climate', decoder: 'number' as const }
  ]
  t.deepEqual(routeTopic(rules, 'home/kitchen/temperature').map((r) => r.feed), ['climate', 'everything'])
  t.deepEqual(routeTopic(rules, 'home/door').map((r) => r.feed), ['everything'])
  t.deepEqual(routeTopic(rules, 'garden/soil'), [])
})

test('--map parses FILTER=FEED:DECODER and explains bad values', (t) => {
  t.deepEqual(parseMapFlag('home/+/temperature=climate:number'), { filter: 'home/+/temperature', feed: 'climate', decoder: 'number' })
  t.deepEqual(parseMapFlag('home/#=all'), { filter: 'home/#', feed: 'all', decoder: 'json' })
  t.is(parseMapFlag('home/#'), '"home/#" is not FILTER=FEED:DECODER (example: home/+/temperature=climate:number)')
  t.is(parseMapFlag('home/#=all:yaml'), '--map home/#=all:yaml: decoder: unknown decoder "yaml" (known: json, number, text, raw)')
})

test('payloads decode per rule; what does not decode is kept raw with the reason', (t) => {
  const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
  t.deepEqual(decodePayload('number', bytes(' 21.5 ')), { value: { kind: 'number', value: 21.5 }, error: null })
  t.deepEqual(decodePayload('number', bytes('warm')), { value: { kind: 'raw' }, error: 'not a number: "warm"' })
  t.deepEqual(decodePayload('number', bytes('')), { value: { kind: 'raw' }, error: 'not a number: ""' })
  t.deepEqual(decodePayload('json', bytes('{"t":21}')), { value: { kind: 'json', value: { t: 21 } }, error: null })
  t.is(decodePayload('json', bytes('{"t":')).error, 'not JSON: "{\\"t\\":"')
  t.deepEqual(decodePayload('text', bytes('open')), { value: { kind: 'text', value: 'open' }, error: null })
  t.is(decodePayload('text', new Uint8Array([0xff, 0xfe])).error, 'not valid UTF-8')
  t.deepEqual(decodePayload('raw', new Uint8Array([0xff])), { value: { kind: 'raw' }, error: null })
})

test('the bridge stores the same decode error decodePayload gives, for every decoder', (t) => {
  const payloads = ['21.5', ' 7 ', 'warm', '', '{"t":21}', '{"t":', 'open', '\u00e9t\u00e9 \u20ac \ud834\udd1e'].map((s) => new TextEncoder().encode(s))
  payloads.push(new Uint8Array([0xff, 0xfe]), new Uint8Array([0x32, 0xc3]))
  for (const decoder of ['json', 'number', 'text', 'raw'] as const) {
    for (const payload of payloads) t.is(decodeError(decoder, payload), decodePayload(decoder, payload).error, `${decoder} ${Array.from(payload).join(',')}`)
  }
})

test('UTF-8 is checked on the bytes as a strict decoder would: overlong forms, surrogates and cut sequences are refused', (t) => {
  const strict = new TextDecoder('utf-8', { fatal: true })
  const valid = (bytes: number[]): boolean => {
    try {
      strict.decode(new Uint8Array(bytes))
      return true
    } catch {
      return false
    }
  }
  const cases = [
    [], [0x41], [0xc3, 0xa9], [0xe2, 0x82, 0xac], [0xf0, 0x9d, 0x84, 0x9e], [0xef, 0xbb, 0xbf, 0x41],
    [0xc0, 0x80], [0xc1, 0xbf], [0xe0, 0x80, 0x80], [0xe0, 0x9f, 0xbf], [0xed, 0xa0, 0x80], [0xed, 0x9f, 0xbf],
    [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf4, 0x8f, 0xbf, 0xbf], [0xf5, 0x80, 0x80, 0x80],
    [0x80], [0xbf], [0xc3], [0xe2, 0x82], [0xf0, 0x9d, 0x84], [0xe2, 0x41, 0xac], [0xff], [0xfe, 0xff]
  ]
  for (const bytes of cases) t.is(isUtf8(new Uint8Array(bytes)), valid(bytes), bytes.map((b) => b.toString(16)).join(' '))
  // Every two-byte sequence, against the strict decoder.
  let mismatches = 0
  for (let a = 0; a < 256; a++) for (let b = 0; b < 256; b++) if (isUtf8(new Uint8Array([a, b])) !== valid([a, b])) mismatches++
  t.is(mismatches, 0)
})

test('a reading record round-trips through its compact encoding', (t) => {
  const reading: ReadingRecord = {
    topic: 'home/kitchen/temperature',
    payload: new TextEncoder().encode('21.5'),
    receivedAt: 1_795_000_000_123,
    qos: 1,
    retain: true,
    decoder: 'number',
    decodeError: null,
    packetId: 7
  }
  const block = encodeReading(reading)
  t.true(block.byteLength < 48)
  const back = decodeReading(block)
  t.deepEqual({ ...back, payload: Array.from(back.payload) }, { ...reading, payload: Array.from(reading.payload) })
  const failed = decodeReading(encodeReading({ ...reading, retain: false, decodeError: 'not a number: "warm"' }))
  t.is(failed.decodeError, 'not a number: "warm"')
  t.false(failed.retain)
})

test('a truncated or foreign block is refused, not misread', (t) => {
  const block = encodeReading({ topic: 'a', payload: new Uint8Array([1]), receivedAt: 1, qos: 0, retain: false, decoder: 'raw', decodeError: null, packetId: 0 })
  t.throws(() => decodeReading(block.subarray(0, block.byteLength - 2)))
  t.throws(() => decodeReading(new Uint8Array([9, 0])), { code: 'MALFORMED', message: 'malformed reading record (unknown version 9)' })
})
