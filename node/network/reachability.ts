// What the node sees of its network, read from its DHT node as it is now: the NAT
// behaviour hyperdht sampled, whether DHT nodes reached it unasked, whether its DHT node
// is persistent, the address it is seen at, the port mapping, the relays and the path of
// each connection. The status carries it (protocol/network-messages.ts); the log says
// when the part that decides reachability changes, not on every check.
import type HyperDHT from 'hyperdht'
import type { NoiseSecretStream } from 'hyperdht'
import type { Logger } from '../log.ts'
import { systemClock, type Clock } from '../platform/wall-clock.ts'
import type { NatBehaviour, NetworkStatus } from '../protocol/network-messages.ts'
import type { PortMappingState } from './port-mapping-state.ts'
import type { Relays } from './relays.ts'

export interface NetworkSources {
  dht: HyperDHT
  relays: Relays
  connections (): Iterable<NoiseSecretStream>
  // The port mapping client's state (port-mapping-state.ts); PORT_MAPPING_OFF without one.
  portMapping (): PortMappingState
  bootstrapNodes: number
}

// upstream(dht-rpc@6.27.0): the NAT sampler reports host null before enough DHT nodes
// answered, and port 0 when the answers disagree on the port (a randomising NAT).
export function natBehaviour (host: string | null, port: number): NatBehaviour {
  if (host === null) return 'unknown'
  return port === 0 ? 'random' : 'consistent'
}

export function readNetwork ({ dht, relays, connections, portMapping, bootstrapNodes }: NetworkSources, now = Date.now()): NetworkStatus {
  const nat = natBehaviour(dht.host, dht.port)
  return {
    clockMs: now,
    nat,
    reachable: !dht.firewalled,
    persistent: !dht.ephemeral,
    publicHost: dht.host,
    publicPort: nat === 'consistent' ? dht.port : null,
    localHost: localHost(dht),
    localPort: dht.localAddress()?.port ?? 0,
    bootstrapped: dht.bootstrapped,
    health: !dht.online ? 'offline' : dht.degraded ? 'degraded' : 'online',
    routingNodes: dht.nodes.length,
    bootstrapNodes,
    portMapping: portMapping(),
    relays: relays.keys,
    serverRelayed: relays.forServer() !== null,
    peers: [...connections()].map((socket) => ({ peer: socket.remotePublicKey, relay: relays.path(socket).relay }))
  }
}

// A DHT bound to one address (loopback on a testnet, `host` in the config) listens there;
// one bound to all listens on the address dht-rpc takes for this machine's.
function localHost (dht: HyperDHT): string | null {
  const bound = dht.address()?.host
  if (bound !== undefined && bound !== '0.0.0.0' && bound !== '::') return bound
  return dht.localAddress()?.host ?? null
}

// The part of the network status a change of which the log reports: the clock, the
// routing table and the peers change all the time.
export function reachabilityFacts (n: NetworkStatus): {
  nat: NatBehaviour, reachable: boolean, persistent: boolean, publicAddress: string | null, portMapping: string, relayed: boolean
} {
  return {
    nat: n.nat,
    reachable: n.reachable,
    persistent: n.persistent,
    publicAddress: n.publicHost === null ? null : `${n.publicHost}:${n.publicPort ?? 'random'}`,
    portMapping: n.portMapping.phase === 'mapped' ? `${n.portMapping.externalAddress ?? '?'}:${n.portMapping.externalPort ?? '?'}` : n.portMapping.phase,
    relayed: n.serverRelayed
  }
}

// hyperdht says nothing when `firewalled` or `randomized` change, so the node looks
// every few seconds and logs only a change.
export const REACHABILITY_CHECK_MS = 5000

export function watchReachability (read: () => NetworkStatus, log: Logger, clock: Clock = systemClock): { check (): void, close (): void } {
  let said = ''
  const check = (): void => {
    const facts = reachabilityFacts(read())
    const now = JSON.stringify(facts)
    if (now === said) return
    said = now
    log('reachability', facts)
  }
  const stop = clock.every(REACHABILITY_CHECK_MS, check)
  check()
  return { check, close: stop }
}
