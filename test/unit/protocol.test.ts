// The control channel's wire format, pinned: every message encodes to the bytes that
// nodes already deployed send and read (captured from the hand-written encoders of
// f00ed79), and decodes back to the same value; a damaged one is MALFORMED.
import test from 'ava'
import * as c from 'compact-encoding'
import { struct, withTrailing, type Codec } from '../../node/protocol/codec.ts'
import * as m from '../../node/protocol/messages.ts'
import type { NodeStatus } from '../../node/protocol/messages.ts'
import * as s from '../../node/protocol/storage-messages.ts'
import * as h from '../../node/protocol/health-messages.ts'
import type { NodeHealth } from '../../node/protocol/health-messages.ts'
import type { LanIngestStatus } from '../../node/protocol/lan-messages.ts'
import type { RelayStatus } from '../../node/protocol/relay-messages.ts'
import type { NetworkStatus } from '../../node/protocol/network-messages.ts'

const key = (byte: number): Uint8Array => new Uint8Array(32).fill(byte)
const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex')
// A plain Uint8Array, as a decoded key or payload is, so values compare equal.
const bytes = (text: string): Uint8Array => new Uint8Array(Buffer.from(text, 'hex'))

const bridge = { connected: true, received: 1200, stored: 1198, decodeErrors: 1, oversized: 0, duplicates: 3, retainedUnchanged: 4, reconnects: 2 }
const storage = { cores: 12, bytes: 300_000, budgetBytes: 1_000_000_000, openCores: 5, announced: 11, syncing: 1, diskFull: false }
const status: NodeStatus = {
  publicKey: key(0xaa), version: '0.1.0', boardId: 'raspberry-pi-4b', host: 'linux-arm64', runtime: 'bare 1.31.0',
  roles: ['storage', 'bridge'], uptimeMs: 86_400_000, storageBytes: 300_000, connections: 3,
  feeds: [{ name: 'meters', length: 42 }], bridge, storage, lanIngest: null, relay: null, network: null
}

const health: NodeHealth = {
  version: '0.1.0', boardId: 'raspberry-pi-4b', host: 'linux-arm64', runtime: 'bare',
  roles: ['storage', 'bridge'], uptimeMs: 86_400_000, dataBytes: 300_000, budgetBytes: 1_000_000_000, coresKept: 12,
  feeds: [{ name: 'meters', length: 42 }], broker: { connected: true, reconnects: 2, lastErrorCode: 'ECONNREFUSED' },
  errors: [{ event: 'broker-error', code: 'ECONNREFUSED', atMs: 1_700_000_000_000 }, { event: 'sync-failed', code: null, atMs: 1_700_000_001_000 }],
  memory: { rssBytes: 41_000_000, peakRssBytes: 52_000_000, heapUsedBytes: 9_000_000, heapTotalBytes: 12_000_000 },
  lanIngest: null
}

const lanIngest: LanIngestStatus = {
  listening: true, devices: 2, received: 5000, stored: 4900, duplicates: 40, decodeErrors: 1, notStored: 0, acksSent: 4950,
  dropped: {
    oversized: 1, truncated: 2, 'unknown-kind': 3, 'unknown-device': 4, 'bad-tag': 5, 'bad-sequence': 6, 'bad-record': 7,
    'unrouted-topic': 8, 'too-old': 9, 'far-future': 10, overloaded: 11
  }
}

const goldens: Array<{ name: string, decode (bytes: Uint8Array): unknown, wire: string }> = []

function golden<T> (name: string, codec: Codec<T>, value: T, wire: string): void {
  goldens.push({ name, decode: (bytes) => c.decode(codec, bytes), wire })
  test(`${name} travels as the bytes deployed nodes use`, (t) => {
    t.is(hex(c.encode(codec, value)), wire)
    t.deepEqual(c.decode(codec, bytes(wire)), value)
  })
}

golden('a ping', m.ping, { id: 7 }, '07')
golden('a status request', m.statusRequest, { id: 1 }, '01')
golden('a status reply with a connected bridge and storage with disk space', m.statusReply, { id: 2, status },
  '02aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa05302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d36340b6261726520312e33312e30020773746f7261676506627269646765fe005c2605fee09304000301066d65746572732a02fdb004fdae040100030402010cfee0930400fe00ca9a3b05010b')
golden('a status reply with a disconnected bridge and a full disk', m.statusReply,
  { id: 300, status: { ...status, roles: [], feeds: [], bridge: { ...bridge, connected: false }, storage: { ...storage, diskFull: true } } },
  'fd2c01aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa05302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d36340b6261726520312e33312e3000fe005c2605fee0930400030001fdb004fdae040100030402020cfee0930400fe00ca9a3b05010b')
golden('a status reply with neither bridge nor storage', m.statusReply,
  { id: 3, status: { ...status, roles: ['relay'], feeds: [], bridge: null, storage: null } },
  '03aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa05302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d36340b6261726520312e33312e30010572656c6179fe005c2605fee093040003000000')
golden('a refusal', m.refusal, { id: 4, code: 'NOT_TRUSTED', message: 'no' }, '040b4e4f545f54525553544544026e6f')
golden('a feeds request', m.feedsRequest, { id: 5 }, '05')
golden('a feeds reply', m.feedsReply, { id: 6, feedKey: key(0x11), feeds: [{ name: 'meters', key: key(0x22), length: 42, byteLength: 4200 }] },
  '06111111111111111111111111111111111111111111111111111111111111111101066d657465727322222222222222222222222222222222222222222222222222222222222222222afd6810')
golden('a publish request', m.publishRequest, { id: 7, topic: 'home/lamp/set', payload: new Uint8Array([0x6f, 0x6e]), qos: 1 },
  '070d686f6d652f6c616d702f736574026f6e01')
golden('a publish request with an empty payload', m.publishRequest, { id: 7, topic: 'home/lamp/set', payload: new Uint8Array(0), qos: 0 },
  '070d686f6d652f6c616d702f7365740000')
golden('a publish reply', m.publishReply, { id: 8 }, '08')
golden('a pair request', s.pairRequest, { id: 9, secret: key(0x33) }, '093333333333333333333333333333333333333333333333333333333333333333')
golden('a keep request', s.keepRequest, { id: 10, key: key(0x44), length: 1000, byteLength: 65_536, evictable: true },
  '0a4444444444444444444444444444444444444444444444444444444444444444fde803fe0000010001')
golden('a drop request', s.dropRequest, { id: 11, key: key(0x44) }, '0b4444444444444444444444444444444444444444444444444444444444444444')
golden('a done', s.done, { id: 12 }, '0c')
golden('a holdings request', s.holdingsRequest, { id: 13, keys: [key(0x44)] }, '0d014444444444444444444444444444444444444444444444444444444444444444')
golden('a holdings reply', s.holdingsReply, {
  id: 14,
  holdings: [
    { key: key(0x44), owner: key(0x55), length: 1000, held: 1000, byteLength: 65_536, lastSyncMs: 1_700_000_000_000, evictable: true, state: 'held' },
    { key: key(0x66), owner: key(0x55), length: 10, held: 0, byteLength: 640, lastSyncMs: 0, evictable: false, state: 'disk-full' }
  ],
  usage: { cores: 2, bytes: 66_176, coresLimit: 100, bytesLimit: 1_000_000 }
}, '0e0244444444444444444444444444444444444444444444444444444444444444445555555555555555555555555555555555555555555555555555555555555555fde803fde803fe00000100ff0068e5cf8b0100000101666666666666666666666666666666666666666666666666666666666666666655555555555555555555555555555555555555555555555555555555555555550a00fd800200000402fe8002010064fe40420f00')
golden('a health request', h.healthRequest, { id: 15 }, '0f')
// Format 2, then the fields in the order of the table.
const HEALTH = '100205302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d36340462617265020773746f7261676506627269646765fe005c2605fee0930400fe00ca9a3b010c0101066d65746572732a0202010c45434f4e4e52454655534544020c62726f6b65722d6572726f72010c45434f4e4e52454655534544ff0068e5cf8b0100000b73796e632d6661696c656400ffe86be5cf8b010000fe409c7102fe00751903fe40548900fe001bb70000'
// The same reply as a node of format 1 (before lanIngest) sends it.
const HEALTH_FORMAT_1 = '100105302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d36340462617265020773746f7261676506627269646765fe005c2605fee0930400fe00ca9a3b010c0101066d65746572732a0202010c45434f4e4e52454655534544020c62726f6b65722d6572726f72010c45434f4e4e52454655534544ff0068e5cf8b0100000b73796e632d6661696c656400ffe86be5cf8b010000fe409c7102fe00751903fe40548900fe001bb700'
golden('a health reply of a storage and bridge node with a connected broker and two errors', h.healthReply, { id: 16, health }, HEALTH)
golden('a health reply of a node with no roles and no errors', h.healthReply,
  { id: 17, health: { ...health, roles: [], coresKept: null, feeds: null, broker: null, errors: [] } },
  '110205302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d3634046261726500fe005c2605fee0930400fe00ca9a3b00000000fe409c7102fe00751903fe40548900fe001bb70000')
golden('a health reply of a lan-ingest node that is not listening', h.healthReply, {
  id: 20,
  health: {
    ...health, roles: ['lan-ingest'], coresKept: null, broker: null, errors: [], lanIngest: { ...lanIngest, listening: false }
  }
}, '140205302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d36340462617265010a6c616e2d696e67657374fe005c2605fee0930400fe00ca9a3b000101066d65746572732a0000fe409c7102fe00751903fe40548900fe001bb7000102fd8813fd2413280100fd56130b0102030405060708090a0b')
golden('a health reply with a disconnected broker that has logged no error', h.healthReply,
  { id: 18, health: { ...health, feeds: [], broker: { connected: false, reconnects: 0, lastErrorCode: null } } },
  '120205302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d36340462617265020773746f7261676506627269646765fe005c2605fee0930400fe00ca9a3b010c0100010000020c62726f6b65722d6572726f72010c45434f4e4e52454655534544ff0068e5cf8b0100000b73796e632d6661696c656400ffe86be5cf8b010000fe409c7102fe00751903fe40548900fe001bb70000')

// A damaged message, or one from a newer roost, is MALFORMED, not compact-encoding's
// plain Error: the connection that sent it is dropped and the node keeps serving.
test('every message cut short is malformed', (t) => {
  for (const { name, decode, wire } of goldens) {
    for (let end = 0; end < wire.length; end += 2) {
      t.throws(() => decode(bytes(wire.slice(0, end))), { code: 'MALFORMED' }, `${name}, ${end / 2} bytes`)
    }
  }
})

// The status reply above with neither bridge nor storage, cut before its storage tag.
const NO_STATUS = '03aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa05302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d36340b6261726520312e33312e30010572656c6179fe005c2605fee0930400030000'

test('a status reply with an unknown bridge tag is malformed', (t) => {
  t.throws(() => c.decode(m.statusReply, bytes(NO_STATUS.slice(0, -2) + '0300')), { code: 'MALFORMED', message: 'malformed bridge status' })
})

test('a status reply with an unknown storage tag is malformed', (t) => {
  t.throws(() => c.decode(m.statusReply, bytes(NO_STATUS + '03')), { code: 'MALFORMED', message: 'malformed storage status' })
})

test('a holding in an unknown state is malformed', (t) => {
  const holding = '44'.repeat(32) + '55'.repeat(32) + '0a' + '00' + 'fd8002' + '00' + '00'
  t.throws(() => c.decode(s.holdingsReply, bytes('0e01' + holding + '05' + '0100010a')), { code: 'MALFORMED', message: 'malformed holding state' })
})

// A later roost appends fields to the health and raises its format: this one still reads
// the fields it knows, so a newer node answers an older `roost fleet status`.
test('a health reply of a later format, with fields appended, reads as the fields this roost knows', (t) => {
  const later = HEALTH.slice(0, 2) + '03' + HEALTH.slice(4) + '07' + '0c6c617465722d6669656c64'
  t.deepEqual(c.decode(h.healthReply, bytes(later)), { id: 16, health })
})

// A node from before lan-ingest sends format 1, without the field format 2 added.
test('a health reply of format 1 reads with no lan-ingest counters', (t) => {
  t.deepEqual(c.decode(h.healthReply, bytes(HEALTH_FORMAT_1)), { id: 16, health })
})

test('a health reply of format 0 is malformed', (t) => {
  t.throws(() => c.decode(h.healthReply, bytes(HEALTH.slice(0, 2) + '00' + HEALTH.slice(4))), { code: 'MALFORMED', message: 'malformed node health' })
})

test('a recent error with an unknown code tag is malformed', (t) => {
  // The reply with no roles above, up to its list of errors.
  const noErrors = '110105302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d3634046261726500fe005c2605fee0930400fe00ca9a3b000000'
  t.throws(() => c.decode(h.healthReply, bytes(noErrors + '01' + '056572726f72' + '0201')), { code: 'MALFORMED', message: 'malformed error code' })
})

// The lan-ingest counters follow the status of roost 0.1 with no format number to say
// so (codec.ts trailing): a status without them is exactly what nodes before lan-ingest
// sent, and what an older roost reads of one with them is all but the trailing bytes.
const STATUS_0_1 = '13aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa05302e312e300f7261737062657272792d70692d34620b6c696e75782d61726d36340b6261726520312e33312e30020773746f726167650a6c616e2d696e67657374fe005c2605fee09304000301066d65746572732a0000'
const LAN_STATUS = STATUS_0_1 + '02' + '02fd8813fd2413280100fd5613' + '0b0102030405060708090a0b'
const lanStatus: NodeStatus = { ...status, roles: ['storage', 'lan-ingest'], bridge: null, storage: null, lanIngest }

test('a status reply with lan-ingest counters travels as the 0.1 status, then the counters', (t) => {
  t.is(hex(c.encode(m.statusReply, { id: 19, status: lanStatus })), LAN_STATUS)
  t.deepEqual(c.decode(m.statusReply, bytes(LAN_STATUS)), { id: 19, status: lanStatus })
})

test('a status reply cut short is malformed, but where the 0.1 status ends it reads as one without lan ingest', (t) => {
  for (let end = 0; end < LAN_STATUS.length; end += 2) {
    if (end === STATUS_0_1.length) {
      t.deepEqual(c.decode(m.statusReply, bytes(LAN_STATUS.slice(0, end))), { id: 19, status: { ...lanStatus, lanIngest: null } })
    } else {
      t.throws(() => c.decode(m.statusReply, bytes(LAN_STATUS.slice(0, end))), { code: 'MALFORMED' }, `${end / 2} bytes`)
    }
  }
})

test('a status reply with an unknown lan-ingest tag is malformed', (t) => {
  t.throws(() => c.decode(m.statusReply, bytes(STATUS_0_1 + '03')), { code: 'MALFORMED', message: 'malformed lan ingest status' })
})

// The relay's counters follow the lan-ingest counters the same way: a node with a relay
// and no lan-ingest role sends lan-ingest's absent tag (00) before them, and a status
// without a relay is byte for byte what nodes before the relay sent.
const relay: RelayStatus = {
  listening: true, relayKey: key(0xbb), sessions: 3, peers: 2, relaying: 1, paired: 7, relayedBytes: 123_456,
  refusedUntrusted: 1, refusedSessions: 2, refusedRate: 0, cut: 0
}
const RELAY_COUNTERS = '02' + 'bb'.repeat(32) + '03020107' + 'fe40e20100' + '01020000'
const relayStatus: NodeStatus = { ...lanStatus, roles: ['storage', 'relay'], lanIngest: null, relay }

test('a status reply with relay counters and no lan ingest travels as the 0.1 status, lan ingest\'s absent tag, then the counters', (t) => {
  t.is(hex(c.encode(m.statusReply, { id: 19, status: relayStatus })), STATUS_0_1.replace('0a6c616e2d696e67657374', '0572656c6179') + '00' + RELAY_COUNTERS)
  const both = { ...relayStatus, lanIngest }
  t.is(hex(c.encode(m.statusReply, { id: 19, status: both })), LAN_STATUS.replace('0a6c616e2d696e67657374', '0572656c6179') + RELAY_COUNTERS)
  t.deepEqual(c.decode(m.statusReply, bytes(hex(c.encode(m.statusReply, { id: 19, status: both })))), { id: 19, status: both })
  t.deepEqual(c.decode(m.statusReply, bytes(hex(c.encode(m.statusReply, { id: 19, status: relayStatus })))), { id: 19, status: relayStatus })
})

test('a status from a node before the relay reads with no relay counters', (t) => {
  t.deepEqual(c.decode(m.statusReply, bytes(LAN_STATUS)), { id: 19, status: { ...lanStatus, relay: null } })
  t.deepEqual(c.decode(m.statusReply, bytes(STATUS_0_1)), { id: 19, status: { ...lanStatus, lanIngest: null, relay: null } })
  t.is(hex(c.encode(m.statusReply, { id: 19, status: { ...lanStatus, relay: null } })), LAN_STATUS)
})

test('a status reply with an unknown relay tag is malformed', (t) => {
  t.throws(() => c.decode(m.statusReply, bytes(STATUS_0_1 + '00' + '03')), { code: 'MALFORMED', message: 'malformed relay status' })
})

// What the node sees of its network follows the relay's counters the same way (issue 14):
// a node without lan ingest or a relay sends both absent tags (00 00), then 01 and the
// section. An older roost reads the fields it knows and leaves the section unread.
const network: NetworkStatus = {
  clockMs: 1_700_000_000_000, nat: 'consistent', reachable: false, persistent: false, publicHost: '203.0.113.10', publicPort: 49737,
  localHost: '192.168.1.2', localPort: 49737, bootstrapped: true, health: 'online', routingNodes: 12, bootstrapNodes: 0,
  portMapping: { phase: 'mapped', protocol: 'nat-pmp', internalPort: 49737, externalAddress: '203.0.113.10', externalPort: 49737, expiresAt: 1_700_000_000_000, reason: null },
  relays: [key(0xcc)], serverRelayed: false, peers: [{ peer: key(0xdd), relay: null }, { peer: key(0xee), relay: key(0xcc) }]
}
const ascii = (text: string): string => Buffer.from(text).toString('hex')
const PORT = 'fd49c2' // 49737
const ADDRESS = '0c' + ascii('203.0.113.10')
const NETWORK = 'ff0068e5cf8b010000' + '01' + '00' + '00' + '01' + ADDRESS + '01' + PORT + '01' + '0b' + ascii('192.168.1.2') + PORT + '01' + '00' + '0c' + '00' +
  '02' + '0100' + '01' + PORT + '01' + ADDRESS + '01' + PORT + '01' + 'ff0068e5cf8b010000' + '00' +
  '01' + 'cc'.repeat(32) + '00' + '02' + 'dd'.repeat(32) + '00' + 'ee'.repeat(32) + '01' + 'cc'.repeat(32)
const STORAGE_ONLY = STATUS_0_1.replace('020773746f726167650a6c616e2d696e67657374', '010773746f72616765')
const NETWORK_STATUS = STORAGE_ONLY + '00' + '00' + '01' + NETWORK
const networkStatus: NodeStatus = { ...lanStatus, roles: ['storage'], lanIngest: null, relay: null, network }

test('a status reply with the network section travels as the relay-era status, both absent tags, then the section', (t) => {
  t.is(hex(c.encode(m.statusReply, { id: 19, status: networkStatus })), NETWORK_STATUS)
  t.deepEqual(c.decode(m.statusReply, bytes(NETWORK_STATUS)), { id: 19, status: networkStatus })
  const withRelay = { ...networkStatus, relay }
  t.deepEqual(c.decode(m.statusReply, bytes(hex(c.encode(m.statusReply, { id: 19, status: withRelay })))), { id: 19, status: withRelay })
})

test('a roost from before the network section reads a newer reply as the status it knows', (t) => {
  const before = withTrailing<NodeStatus>('node status', m.NODE_STATUS_FIELDS, m.NODE_STATUS_APPENDED.slice(0, 2))
  const older = struct<m.StatusReply>('status reply', [['id', c.uint], ['status', before]])
  const { network: _unknown, ...known } = networkStatus
  t.deepEqual(c.decode(older, bytes(NETWORK_STATUS)), { id: 19, status: known as NodeStatus })
  // ...and a reply from this roost with no network section is what that roost sent.
  t.is(hex(c.encode(m.statusReply, { id: 19, status: { ...networkStatus, network: null } })), STORAGE_ONLY)
})

test('a status from a node before the network section reads with none; cut inside it, it is malformed', (t) => {
  t.deepEqual(c.decode(m.statusReply, bytes(STORAGE_ONLY + '0000')), { id: 19, status: { ...networkStatus, network: null } })
  t.deepEqual(c.decode(m.statusReply, bytes(STORAGE_ONLY)), { id: 19, status: { ...networkStatus, network: null } })
  for (let end = STORAGE_ONLY.length + 6; end < NETWORK_STATUS.length; end += 2) {
    t.throws(() => c.decode(m.statusReply, bytes(NETWORK_STATUS.slice(0, end))), { code: 'MALFORMED' }, `${end / 2} bytes`)
  }
})

test('a network section with an unknown NAT behaviour or port mapping phase is malformed', (t) => {
  const at = (NETWORK_STATUS.length - NETWORK.length) + 18
  t.throws(() => c.decode(m.statusReply, bytes(NETWORK_STATUS.slice(0, at) + '03' + NETWORK_STATUS.slice(at + 2))), { code: 'MALFORMED', message: 'malformed nat behaviour' })
  const phase = NETWORK_STATUS.indexOf('02' + '0100' + '01' + PORT)
  t.throws(() => c.decode(m.statusReply, bytes(NETWORK_STATUS.slice(0, phase) + '04' + NETWORK_STATUS.slice(phase + 2))), { code: 'MALFORMED', message: 'malformed port mapping phase' })
})
