// What a node's view of its network means for the people who want to reach it, in plain
// words, and what to change on its router: `roost doctor`'s verdict. Pure: it reads the
// network section of the node's status (node/protocol/network-messages.ts) and the clock
// skew the client measured.
import { encodeKey } from '../../node/identity/keys.ts'
import type { NetworkStatus } from '../../node/protocol/network-messages.ts'

export type VerdictCode = 'not-on-dht' | 'unknown' | 'direct' | 'port-mapped' | 'hole-punching' | 'relay-only'

export interface Verdict {
  code: VerdictCode
  // One sentence a user reads first.
  words: string
  // What to change, on the router or the node, to be reached by more peers; empty when
  // nothing needs to change.
  advice: string[]
  // Facts that qualify the verdict (a check still to come, a clock that is off).
  notes: string[]
}

export interface VerdictFacts {
  network: NetworkStatus
  uptimeMs: number
  // The node's clock minus the client's; null when it could not be measured.
  clockSkewMs: number | null
}

// upstream(dht-rpc@6.27.0): an adaptive DHT node checks again whether it is reachable once it
// has been stable for its STABLE_TICKS (about 20 minutes of 5 s ticks), and then not again
// while its public address stays the same; until then a node in a DMZ or behind a port
// forward still says firewalled (unless the quick probe at bootstrap got through).
export const REACHABILITY_RECHECK_MS = 20 * 60_000
// Beyond this, certificates, invites and lease times are off by enough to matter.
export const CLOCK_SKEW_LIMIT_MS = 60_000

function forwardWords (n: NetworkStatus): string {
  const to = n.localHost === null ? 'this device' : `this device (${n.localHost})`
  return `forward UDP port ${n.localPort} to ${to} on the router (or make it the router's DMZ host), then restart the node`
}

const RESTART_NOTE = 'after a change on the router, restart the node: hyperdht checks whether it is reachable about 20 minutes after a start, and not again while its public address stays the same'

const UPNP = 'turn on UPnP or NAT-PMP on the router, so the node can map its port itself'

export function diagnose ({ network: n, uptimeMs, clockSkewMs }: VerdictFacts): Verdict {
  const notes: string[] = []
  let verdict: Omit<Verdict, 'notes'>
  if (!n.bootstrapped || n.routingNodes === 0 || n.health === 'offline') {
    const bootstrap = n.bootstrapNodes === 0 ? 'the public HyperDHT bootstrap nodes' : `its ${n.bootstrapNodes} configured bootstrap node${n.bootstrapNodes === 1 ? '' : 's'}`
    verdict = {
      code: 'not-on-dht',
      words: 'not on the DHT: no DHT node answers it, so no one can find it',
      advice: [`check that the device reaches the internet over UDP and that ${bootstrap} are up (a firewall that blocks outgoing UDP stops HyperDHT)`]
    }
  } else if (n.reachable) {
    verdict = { code: 'direct', words: 'reachable directly: any peer can connect to it', advice: [] }
    if (!n.persistent) notes.push('its DHT node is still ephemeral: hyperdht makes a reachable node persistent (routing for others) once its checks agree')
  } else if (n.portMapping.phase === 'mapped') {
    verdict = {
      code: 'port-mapped',
      words: `reachable directly through the router's port mapping ${n.portMapping.externalAddress ?? '?'}:${n.portMapping.externalPort ?? '?'}`,
      advice: []
    }
    notes.push('the DHT has not confirmed it from outside yet: hyperdht checks about 20 minutes after the node starts')
  } else if (n.nat === 'random') {
    const relays = n.relays.length > 0
      ? [`peers that cannot punch reach it through its relay${n.relays.length === 1 ? '' : 's'} ${n.relays.map(encodeKey).join(', ')}`]
      : ['ask for a relay (a roost node with the relay role on a reachable address) and list its key under relays: in this node\'s config']
    verdict = {
      code: 'relay-only',
      words: n.relays.length > 0
        ? 'reachable by most peers only through its relay: its router gives every peer another port, which defeats hole punching'
        : 'only through a relay: its router gives every peer another port, which defeats hole punching, and it names no relay',
      advice: [...(n.relays.length > 0 ? [] : relays), UPNP, forwardWords(n)]
    }
    if (n.relays.length > 0) notes.push(relays[0])
  } else if (n.nat === 'consistent') {
    verdict = {
      code: 'hole-punching',
      words: 'reachable by hole punching from most homes; peers behind routers that randomise ports (symmetric NATs, many mobile networks) need a relay',
      advice: [`to be reachable from everywhere: ${UPNP}, or ${forwardWords(n)}`]
    }
    notes.push(uptimeMs < REACHABILITY_RECHECK_MS
      ? `the node started ${Math.round(uptimeMs / 60_000)} min ago: hyperdht checks about 20 minutes after a start whether it is reachable, so a port forward or DMZ may not show yet`
      : RESTART_NOTE)
  } else {
    verdict = {
      code: 'unknown',
      words: 'not known yet: too few DHT nodes have answered to tell how its router maps ports',
      advice: ['run `roost doctor` again in a minute']
    }
  }
  if (n.portMapping.phase === 'failed' && n.portMapping.reason !== null) notes.push(`port mapping failed: ${n.portMapping.reason}`)
  if (n.health === 'degraded') notes.push('many of its DHT requests time out: a lossy link or an overloaded router')
  if (clockSkewMs !== null && Math.abs(clockSkewMs) > CLOCK_SKEW_LIMIT_MS) {
    const ahead = clockSkewMs > 0 ? 'ahead of' : 'behind'
    verdict.advice.push(`the node's clock is ${Math.round(Math.abs(clockSkewMs) / 1000)} s ${ahead} this machine's: turn on time sync (NTP, systemd-timesyncd) on whichever is wrong`)
  }
  return { ...verdict, notes }
}
