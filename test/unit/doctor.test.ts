// `roost doctor`'s verdict from what a node sees of its network (tools/client/network-verdict.ts),
// as a table of situations; and the node's reachability log line, written when what
// decides reachability changes and not on every check (node/network/reachability.ts).
import test from 'ava'
import { PORT_MAPPING_OFF } from '../../node/network/port-mapping-state.ts'
import { natBehaviour, REACHABILITY_CHECK_MS, watchReachability } from '../../node/network/reachability.ts'
import type { LogEvents } from '../../node/log-events.ts'
import type { Logger } from '../../node/log.ts'
import type { NetworkStatus } from '../../node/protocol/network-messages.ts'
import { encodeKey } from '../../node/identity/keys.ts'
import { diagnose, type VerdictCode } from '../../tools/client/network-verdict.ts'
import { fakeClock } from '../helpers/fake-clock.ts'

const key = (byte: number): Uint8Array => new Uint8Array(32).fill(byte)
const HOUR = 3_600_000

// A node behind a home router that keeps its port for every peer, after an hour.
const home: NetworkStatus = {
  clockMs: 1_700_000_000_000, nat: 'consistent', reachable: false, persistent: false, publicHost: '203.0.113.10', publicPort: 49737,
  localHost: '192.168.1.2', localPort: 49737, bootstrapped: true, health: 'online', routingNodes: 20, bootstrapNodes: 0,
  portMapping: PORT_MAPPING_OFF, relays: [], serverRelayed: false, peers: []
}
const MAPPED = { phase: 'mapped', protocol: 'nat-pmp', internalPort: 49737, externalAddress: '203.0.113.10', externalPort: 49737, expiresAt: 1_700_000_003_600_000, reason: null } as const
const FORWARD = 'forward UDP port 49737 to this device (192.168.1.2) on the router (or make it the router\'s DMZ host), then restart the node'
const RESTART = /^after a change on the router, restart the node: hyperdht checks whether it is reachable about 20 minutes after a start/
const UPNP = 'turn on UPnP or NAT-PMP on the router, so the node can map its port itself'
const ASK_RELAY = 'ask for a relay (a roost node with the relay role on a reachable address) and list its key under relays: in this node\'s config'

interface Row {
  situation: string
  network: Partial<NetworkStatus>
  uptimeMs?: number
  clockSkewMs?: number | null
  code: VerdictCode
  words: RegExp
  advice: string[]
  notes?: RegExp[]
}

const TABLE: Row[] = [
  { situation: 'a public address, DMZ or port forward the DHT has confirmed', network: { reachable: true, persistent: true }, code: 'direct', words: /^reachable directly/, advice: [] },
  { situation: 'reachable but its DHT node not yet persistent', network: { reachable: true }, code: 'direct', words: /^reachable directly/, advice: [], notes: [/still ephemeral/] },
  {
    situation: 'a cone or port-restricted NAT',
    network: {},
    code: 'hole-punching',
    words: /^reachable by hole punching from most homes; peers behind routers that randomise ports .* need a relay$/,
    advice: [`to be reachable from everywhere: ${UPNP}, or ${FORWARD}`],
    notes: [RESTART]
  },
  {
    situation: 'a consistent NAT in the first 20 minutes (a port forward may not show yet)',
    network: {},
    uptimeMs: 5 * 60_000,
    code: 'hole-punching',
    words: /^reachable by hole punching/,
    advice: [`to be reachable from everywhere: ${UPNP}, or ${FORWARD}`],
    notes: [/^the node started 5 min ago: hyperdht checks about 20 minutes after a start whether it is reachable/]
  },
  {
    situation: 'a symmetric NAT and no relay',
    network: { nat: 'random', publicPort: null },
    code: 'relay-only',
    words: /^only through a relay: /,
    advice: [ASK_RELAY, UPNP, FORWARD]
  },
  {
    situation: 'a symmetric NAT with a relay',
    network: { nat: 'random', publicPort: null, relays: [key(0xcc)], serverRelayed: true },
    code: 'relay-only',
    words: /^reachable by most peers only through its relay/,
    advice: [UPNP, FORWARD],
    notes: [new RegExp(`through its relay ${encodeKey(key(0xcc))}$`)]
  },
  {
    situation: 'a port mapped by the router that the DHT has not confirmed yet',
    network: { portMapping: MAPPED },
    code: 'port-mapped',
    words: /^reachable directly through the router's port mapping 203\.0\.113\.10:49737$/,
    advice: [],
    notes: [/not confirmed it from outside yet/]
  },
  {
    situation: 'a port mapping the router refused, behind a symmetric NAT',
    network: { nat: 'random', publicPort: null, portMapping: { ...PORT_MAPPING_OFF, phase: 'failed', reason: 'the router answered NAT-PMP with "not authorized"' } },
    code: 'relay-only',
    words: /^only through a relay/,
    advice: [ASK_RELAY, UPNP, FORWARD],
    notes: [/^port mapping failed: the router answered NAT-PMP with "not authorized"$/]
  },
  { situation: 'too few DHT answers to tell', network: { nat: 'unknown', publicHost: null, publicPort: null }, code: 'unknown', words: /^not known yet/, advice: ['run `roost doctor` again in a minute'] },
  {
    situation: 'no DHT node answers (outgoing UDP blocked)',
    network: { bootstrapped: false, routingNodes: 0, health: 'offline', nat: 'unknown', publicHost: null },
    code: 'not-on-dht',
    words: /^not on the DHT/,
    advice: ['check that the device reaches the internet over UDP and that the public HyperDHT bootstrap nodes are up (a firewall that blocks outgoing UDP stops HyperDHT)']
  },
  {
    situation: 'an empty routing table with two configured bootstrap nodes',
    network: { routingNodes: 0, bootstrapNodes: 2 },
    code: 'not-on-dht',
    words: /^not on the DHT/,
    advice: ['check that the device reaches the internet over UDP and that its 2 configured bootstrap nodes are up (a firewall that blocks outgoing UDP stops HyperDHT)']
  },
  {
    situation: 'reachable, with the node\'s clock 5 minutes behind',
    network: { reachable: true, persistent: true },
    clockSkewMs: -300_000,
    code: 'direct',
    words: /^reachable directly/,
    advice: ['the node\'s clock is 300 s behind this machine\'s: turn on time sync (NTP, systemd-timesyncd) on whichever is wrong']
  },
  { situation: 'a clock skew within a minute is no advice', network: { reachable: true, persistent: true }, clockSkewMs: 59_000, code: 'direct', words: /^reachable directly/, advice: [] },
  {
    situation: 'a degraded DHT',
    network: { health: 'degraded' },
    code: 'hole-punching',
    words: /^reachable by hole punching/,
    advice: [`to be reachable from everywhere: ${UPNP}, or ${FORWARD}`],
    notes: [RESTART, /many of its DHT requests time out/]
  }
]

for (const row of TABLE) {
  test(`doctor's verdict for ${row.situation}: ${row.code}`, (t) => {
    const v = diagnose({ network: { ...home, ...row.network }, uptimeMs: row.uptimeMs ?? HOUR, clockSkewMs: row.clockSkewMs ?? 20 })
    t.is(v.code, row.code)
    t.regex(v.words, row.words)
    t.deepEqual(v.advice, row.advice)
    t.is(v.notes.length, (row.notes ?? []).length, v.notes.join('; '))
    ;(row.notes ?? []).forEach((note, i) => t.regex(v.notes[i], note))
  })
}

test('the advice names the device only when its address is known', (t) => {
  const v = diagnose({ network: { ...home, localHost: null, localPort: 50000 }, uptimeMs: HOUR, clockSkewMs: null })
  t.deepEqual(v.advice, [`to be reachable from everywhere: ${UPNP}, or forward UDP port 50000 to this device on the router (or make it the router's DMZ host), then restart the node`])
})

test('the NAT sampler\'s host and port say consistent, random or not known yet', (t) => {
  t.is(natBehaviour(null, 0), 'unknown')
  t.is(natBehaviour('203.0.113.10', 0), 'random')
  t.is(natBehaviour('203.0.113.10', 49737), 'consistent')
})

test('the node logs reachability at start and when it changes, not on every check', async (t) => {
  const clock = fakeClock()
  const lines: Array<LogEvents['reachability']> = []
  const log = ((event: string, fields: LogEvents['reachability']) => { if (event === 'reachability') lines.push(fields) }) as Logger
  let now: NetworkStatus = { ...home, nat: 'unknown', publicHost: null, publicPort: null }
  const watch = watchReachability(() => now, log, clock)
  t.deepEqual(lines, [{ nat: 'unknown', reachable: false, persistent: false, publicAddress: null, portMapping: 'off', relayed: false }])

  // The clock, the routing table and the peers move all the time: no line for them.
  now = { ...now, clockMs: now.clockMs + 1, routingNodes: 30, peers: [{ peer: key(1), relay: null }] }
  await clock.advance(REACHABILITY_CHECK_MS * 3)
  t.is(lines.length, 1)

  now = { ...home, nat: 'random', publicPort: null, serverRelayed: true }
  await clock.advance(REACHABILITY_CHECK_MS)
  t.deepEqual(lines.at(-1), { nat: 'random', reachable: false, persistent: false, publicAddress: '203.0.113.10:random', portMapping: 'off', relayed: true })
  now = { ...home, reachable: true, persistent: true, portMapping: MAPPED }
  await clock.advance(REACHABILITY_CHECK_MS * 4)
  t.is(lines.length, 3)
  t.deepEqual(lines.at(-1), { nat: 'consistent', reachable: true, persistent: true, publicAddress: '203.0.113.10:49737', portMapping: '203.0.113.10:49737', relayed: false })

  watch.close()
  now = home
  await clock.advance(REACHABILITY_CHECK_MS * 2)
  t.is(lines.length, 3)
})
